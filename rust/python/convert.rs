//! Python objects to core arguments, and core errors to Python exceptions.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyString, PyTuple};

use super::schedule::PySchedule;
use crate::error::Error;
use crate::schedule::Arg;

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        let message = err.to_string();
        match err {
            Error::Value { .. } | Error::Parse { .. } => PyValueError::new_err(message),
            Error::Type { .. } => PyTypeError::new_err(message),
            Error::Memory { .. } => PyMemoryError::new_err(message),
            Error::Interrupted { .. } => PyKeyboardInterrupt::new_err(message),
        }
    }
}

/// Any Python value to an [`Arg`]; what the core cannot use becomes `Arg::Unsupported`, so the
/// error can name the parameter it was given for.
pub(crate) fn to_arg(obj: &Bound<'_, PyAny>) -> PyResult<Arg> {
    if obj.is_none() {
        return Ok(Arg::None);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Arg::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PySchedule>() {
        return Ok(Arg::Schedule(s.get().inner.clone()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Arg::Str(s.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() {
        return Ok(Arg::Num(number(obj)?));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return Ok(Arg::List(
            obj.try_iter()?
                .map(|item| to_arg(&item?))
                .collect::<PyResult<_>>()?,
        ));
    }
    if obj.hasattr("dtype")? && obj.hasattr("tolist")? {
        if let Some(numbers) = real_vector(obj)? {
            return Ok(numbers);
        }
        // Other numpy arrays and numpy scalars: `tolist()` gives plain Python values.
        return to_arg(&obj.call_method0("tolist")?);
    }
    Ok(Arg::Unsupported(obj.get_type().name()?.to_string()))
}

/// A Python int or float as f64; ints too large for f64 become ±inf (and are then rejected
/// as not finite, with the value named).
pub(crate) fn number(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    match obj.extract::<f64>() {
        Ok(x) => Ok(x),
        Err(_) if obj.is_instance_of::<PyInt>() => Ok(if obj.lt(0)? {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        Err(e) => Err(e),
    }
}

/// A 1-D numpy array of integers or floats as a list of numbers, read straight from the
/// array (no Python float per element) into storage that is checked before it is taken: a
/// batch too large for memory is a MemoryError naming its length, never an abort.
fn real_vector(obj: &Bound<'_, PyAny>) -> PyResult<Option<Arg>> {
    let kind: String = obj.getattr("dtype")?.getattr("kind")?.extract()?;
    let ndim: usize = obj.getattr("ndim")?.extract()?;
    if ndim != 1 || !"iuf".contains(kind.as_str()) {
        return Ok(None);
    }
    let array = obj
        .py()
        .import("numpy")?
        .call_method1("asarray", (obj, "float64"))?
        .cast_into::<PyArray1<f64>>()?;
    let readonly = array.readonly();
    let view = readonly.as_array();
    let mut items = Vec::new();
    items.try_reserve_exact(view.len()).map_err(|_| {
        PyErr::from(Error::memory(
            "Schedule",
            format!("a batch of {} schedules", view.len()),
        ))
    })?;
    items.extend(view.iter().map(|&x| Arg::Num(x)));
    Ok(Some(Arg::List(items)))
}
