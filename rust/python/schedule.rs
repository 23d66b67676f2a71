//! The frozen `Schedule` pyclass and the module functions that build one.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{AllowTypeChange, IntoPyArray, PyArrayDyn, PyArrayLikeDyn, PyArrayMethods};
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyString, PyTuple};

use super::convert::{number, to_arg};
use crate::error::Error;
use crate::schedule::{self, count, describe_num, Arg, Batch};

/// A learning-rate (or momentum, or any hyper-parameter) schedule: an immutable value mapping
/// a step to a number, or a batch of such schedules. Build one with lrcore's functions
/// (`lrcore.cosine(...)`), `lrcore.parse`, or `lrcore.from_dict` / `lrcore.from_json`.
#[pyclass(frozen, module = "lrcore._core", name = "Schedule")]
pub struct PySchedule {
    pub(crate) inner: Batch,
}

fn wrap(inner: Batch) -> PySchedule {
    PySchedule { inner }
}

/// Checks a step given by the caller: finite and non-negative.
pub(crate) fn check_step(t: f64) -> PyResult<f64> {
    if t.is_finite() && t >= 0.0 {
        Ok(t)
    } else {
        Err(Error::value(
            "Schedule",
            "step",
            "a non-negative finite number",
            describe_num(t),
        )
        .into())
    }
}

fn count_of(func: &str, param: &str, obj: &Bound<'_, PyAny>, min: u64) -> PyResult<u64> {
    match to_arg(obj)? {
        Arg::Num(x) => Ok(count(func, param, x, min)?),
        _ => Err(PyTypeError::new_err(format!(
            "{func}(): {param} must be an integer, got an object of type '{}'",
            obj.get_type().name()?
        ))),
    }
}

impl PySchedule {
    /// `func(self, other)` for an operator; `None` when `other` is neither a schedule nor a
    /// number, so Python can try the reflected operation.
    fn binary<'py>(
        &self,
        func: &str,
        other: &Bound<'py, PyAny>,
        reflected: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = other.py();
        let other = to_arg(other)?;
        if !matches!(other, Arg::Num(_) | Arg::Schedule(_)) {
            return Ok(py.NotImplemented().into_bound(py));
        }
        let me = Arg::Schedule(self.inner.clone());
        let args = if reflected {
            vec![other, me]
        } else {
            vec![me, other]
        };
        let built = wrap(schedule::build(func, args, Vec::new())?);
        Ok(Bound::new(py, built)?.into_any())
    }

    fn method(&self, func: &str, args: Vec<Arg>, named: Vec<(String, Arg)>) -> PyResult<Self> {
        let mut positional = vec![Arg::Schedule(self.inner.clone())];
        positional.extend(args);
        Ok(wrap(schedule::build(func, positional, named)?))
    }
}

#[pymethods]
impl PySchedule {
    /// The value at step `t` (int or float >= 0), or a float64 array for an array of steps.
    /// A batch of B schedules gives a (B,) array, or (B, *t.shape).
    fn __call__<'py>(&self, py: Python<'py>, t: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let scalar = (t.is_instance_of::<PyInt>() || t.is_instance_of::<PyFloat>())
            && !t.is_instance_of::<PyBool>();
        if scalar {
            let t = check_step(number(t)?)?;
            return match self.inner.as_single() {
                Some(one) => Ok(PyFloat::new(py, one.value(t)).into_any()),
                None => Ok(self.inner.eval_many(&[t])?.into_pyarray(py).into_any()),
            };
        }
        // numpy would turn "3" into 3.0; steps given as text are a caller's mistake.
        let textual = t.is_instance_of::<PyString>()
            || t.is_instance_of::<PyBytes>()
            || t.getattr("dtype")
                .and_then(|d| d.getattr("kind"))
                .and_then(|k| k.extract::<String>())
                .is_ok_and(|k| k == "U" || k == "S");
        let numeric = !textual;
        let array: Option<PyArrayLikeDyn<'py, f64, AllowTypeChange>> =
            if numeric { t.extract().ok() } else { None };
        let array = array.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "Schedule(): steps must be a number or an array of numbers, got an object of type '{}'",
                t.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?;
        let view = array.as_array();
        let mut shape = view.shape().to_vec();
        let steps: Vec<f64> = view.iter().copied().collect();
        if let Some(&bad) = steps.iter().find(|&&x| !(x.is_finite() && x >= 0.0)) {
            check_step(bad)?;
        }
        let values = if self.inner.is_heavy(steps.len()) {
            py.detach(|| self.inner.eval_many(&steps))?
        } else {
            self.inner.eval_many(&steps)?
        };
        if let Some(b) = self.inner.batch_size() {
            shape.insert(0, b);
        }
        let out = ArrayD::from_shape_vec(IxDyn(&shape), values)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(out.into_pyarray(py).into_any())
    }

    /// Values of steps `start … start + n − 1` as a float64 array: (n,) for a schedule,
    /// (B, n) for a batch. Computed without the GIL, in parallel for large n.
    #[pyo3(signature = (n, start = None))]
    fn values<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let n = count_of("values", "n", n, 0)?;
        let start = start.map_or(Ok(0), |s| count_of("values", "start", s, 0))?;
        let len = usize::try_from(n).map_err(|_| {
            PyErr::from(Error::Memory {
                requested: format!("{n} float64 values"),
            })
        })?;
        let shape = match self.inner.batch_size() {
            None => vec![len],
            Some(b) => vec![b, len],
        };
        // numpy allocates (raising MemoryError when it cannot, and asking the kernel for huge
        // pages on large arrays); the kernel then writes every element exactly once.
        let array = py
            .import("numpy")?
            .call_method1("empty", (shape,))?
            .cast_into::<PyArrayDyn<f64>>()?;
        {
            let mut writable = array.readwrite();
            let out = writable
                .as_slice_mut()
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            if self.inner.is_heavy(len) {
                py.detach(|| self.inner.values_into(start, out));
            } else {
                self.inner.values_into(start, out);
            }
        }
        Ok(array.into_any())
    }

    /// The value of each schedule (one for a single schedule, B for a batch) at step `t`, as
    /// a list of floats.
    fn values_at(&self, t: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
        let t = check_step(number(t)?)?;
        Ok(self.inner.items().iter().map(|s| s.value(t)).collect())
    }

    /// The step from which the value holds for ever; None for an endless schedule.
    /// For a batch, the latest over its schedules.
    #[getter]
    fn total_steps(&self) -> Option<u64> {
        self.inner.total_steps()
    }

    /// None for a single schedule, B for a batch of B.
    #[getter]
    fn batch_size(&self) -> Option<usize> {
        self.inner.batch_size()
    }

    /// Floor and/or ceiling: min(max(s(t), lo), hi).
    #[pyo3(signature = (lo = None, hi = None))]
    fn clip(&self, lo: Option<&Bound<'_, PyAny>>, hi: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let arg = |x: Option<&Bound<'_, PyAny>>| x.map_or(Ok(Arg::None), to_arg);
        self.method("clip", vec![arg(lo)?, arg(hi)?], Vec::new())
    }

    /// Delayed by n steps: the value at t is s(max(t − n, 0)); a negative n advances the
    /// schedule by |n| steps.
    fn shift(&self, n: &Bound<'_, PyAny>) -> PyResult<Self> {
        self.method("shift", vec![to_arg(n)?], Vec::new())
    }

    /// A schedule written in epochs, evaluated at steps: s(floor(t / steps_per_epoch)).
    fn per_epoch(&self, steps_per_epoch: &Bound<'_, PyAny>) -> PyResult<Self> {
        self.method("per_epoch", vec![to_arg(steps_per_epoch)?], Vec::new())
    }

    fn __add__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("add", other, false)
    }

    fn __radd__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("add", other, true)
    }

    fn __mul__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("mul", other, false)
    }

    fn __rmul__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("mul", other, true)
    }

    fn __sub__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("sub", other, false)
    }

    fn __rsub__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("sub", other, true)
    }

    /// `self / other`; a constant 0 denominator is rejected (ValueError).
    fn __truediv__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("div", other, false)
    }

    fn __rtruediv__<'py>(&self, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary("div", other, true)
    }

    /// `-s`, the schedule `-1.0 * s`.
    fn __neg__(&self) -> PyResult<Self> {
        Ok(wrap(schedule::build(
            "mul",
            vec![Arg::Num(-1.0), Arg::Schedule(self.inner.clone())],
            Vec::new(),
        )?))
    }

    fn __richcmp__<'py>(&self, other: &Bound<'py, PyAny>, op: CompareOp) -> Bound<'py, PyAny> {
        let py = other.py();
        let equal = match other.cast::<PySchedule>() {
            Ok(other) => self.inner == other.get().inner,
            Err(_) => return py.NotImplemented().into_bound(py),
        };
        match op {
            CompareOp::Eq => PyBool::new(py, equal).to_owned().into_any(),
            CompareOp::Ne => PyBool::new(py, !equal).to_owned().into_any(),
            _ => py.NotImplemented().into_bound(py),
        }
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.inner.to_json().hash(&mut hasher);
        hasher.finish()
    }

    fn __repr__(&self) -> String {
        self.inner.to_string()
    }

    /// The JSON form: `{"kind": "cosine", "start": 0.001, ...}`.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The dict form (the JSON form as Python objects); `lrcore.from_dict` reads it back.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .call_method1("loads", (self.inner.to_json(),))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let loader = py.import("lrcore._core")?.getattr("from_json")?;
        Ok((loader, (self.inner.to_json(),)))
    }

    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    /// Draws the schedule with matplotlib (imported only now); returns the Axes.
    /// `n` steps (default: total_steps, or 1000 for an endless schedule); extra keyword
    /// arguments go to `Axes.plot`.
    #[pyo3(signature = (n = None, ax = None, **kwargs))]
    fn plot<'py>(
        slf: &Bound<'py, Self>,
        n: Option<&Bound<'py, PyAny>>,
        ax: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let args = PyTuple::new(
            py,
            [slf.as_any().clone(), to_py_opt(py, n), to_py_opt(py, ax)],
        )?;
        py.import("lrcore._plot")?
            .getattr("plot")?
            .call(args, kwargs)
    }
}

fn to_py_opt<'py>(py: Python<'py>, x: Option<&Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
    x.cloned().unwrap_or_else(|| py.None().into_bound(py))
}

/// Builds `name(*args, **kwargs)` for any function of the schedule language.
#[pyfunction]
#[pyo3(signature = (name, *args, **kwargs))]
pub fn build(
    name: &str,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<PySchedule> {
    let positional = args
        .iter()
        .map(|a| to_arg(&a))
        .collect::<PyResult<Vec<_>>>()?;
    let mut named = Vec::new();
    if let Some(kwargs) = kwargs {
        for (key, value) in kwargs.iter() {
            named.push((key.extract::<String>()?, to_arg(&value)?));
        }
    }
    Ok(wrap(schedule::build(name, positional, named)?))
}

/// Reads the expression language that `repr` writes (never evaluated as Python).
#[pyfunction]
pub fn parse(text: &str) -> PyResult<PySchedule> {
    Ok(wrap(schedule::parse(text)?))
}

/// Reads the JSON form that `Schedule.to_json` writes.
#[pyfunction]
pub fn from_json(text: &str) -> PyResult<PySchedule> {
    Ok(wrap(crate::Schedule::from_json(text)?))
}

/// `[(parameter, default as JSON or None if required), ...]` for one schedule function.
#[pyfunction]
pub fn signature(name: &str) -> PyResult<Vec<(&'static str, Option<String>)>> {
    let params = schedule::signature(name)
        .ok_or_else(|| PyValueError::new_err(format!("{name}() is not a schedule function")))?;
    Ok(params
        .into_iter()
        .map(|(p, default)| (p, default.map(|d| d.to_string())))
        .collect())
}
