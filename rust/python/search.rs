//! The search binding: a frozen `SearchSpace` built from typed parameter specs, sampled without
//! the GIL into numpy columns that take over the Rust buffers (no copy).

use numpy::{Element, IntoPyArray, PyArray1, PyArrayMethods, PyReadwriteArray1};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::Error;
use crate::search::{
    self, ChoiceValues, Column, ColumnMut, Condition, Dist, Kind, Method, Param, Space,
};

fn err(e: Error) -> PyErr {
    match e {
        Error::Memory { requested } => {
            PyMemoryError::new_err(format!("cannot allocate {requested} of trials"))
        }
        other => other.into(),
    }
}

fn field<'py, T: FromPyObjectOwned<'py>>(
    kind: &str,
    fields: &Bound<'py, PyDict>,
    name: &str,
) -> PyResult<T> {
    let value = fields
        .get_item(name)?
        .ok_or_else(|| PyTypeError::new_err(format!("{kind}(): missing field {name}")))?;
    value.extract::<T>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{kind}(): {name} has the wrong type, got an object of type '{}'",
            value
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

/// A distribution from its kind and typed fields (the Python layer has converted the types).
fn dist(kind: &str, f: &Bound<'_, PyDict>) -> PyResult<Dist> {
    let d = match kind {
        "uniform" => Dist::uniform(
            field(kind, f, "lo")?,
            field(kind, f, "hi")?,
            field(kind, f, "step")?,
        ),
        "loguniform" => Dist::loguniform(field(kind, f, "lo")?, field(kind, f, "hi")?),
        "integer" => Dist::integer(
            field(kind, f, "lo")?,
            field(kind, f, "hi")?,
            field(kind, f, "log")?,
            field(kind, f, "step")?,
        ),
        "choice" => {
            let ints: Option<Vec<i64>> = field(kind, f, "ints")?;
            let floats: Option<Vec<f64>> = field(kind, f, "floats")?;
            let values = match (ints, floats) {
                (Some(v), _) => ChoiceValues::Ints(v),
                (None, Some(v)) => ChoiceValues::Floats(v),
                (None, None) => ChoiceValues::Other,
            };
            Dist::choice(field(kind, f, "n")?, field(kind, f, "weights")?, values)
        }
        "normal" => Dist::normal(field(kind, f, "mu")?, field(kind, f, "sigma")?),
        "lognormal" => Dist::lognormal(field(kind, f, "mu")?, field(kind, f, "sigma")?),
        other => {
            return Err(PyTypeError::new_err(format!(
                "Space(): unknown distribution kind '{other}'"
            )))
        }
    };
    d.map_err(err)
}

/// Checks one distribution's fields; raises ValueError / TypeError naming the rule broken.
#[pyfunction]
pub fn check_distribution(kind: &str, fields: &Bound<'_, PyDict>) -> PyResult<()> {
    dist(kind, fields).map(|_| ())
}

type Spec<'py> = (String, String, Bound<'py, PyDict>, Vec<(String, Vec<i64>)>);

/// A checked search space: `[(name, kind, fields, [(parent, levels), ...]), ...]`.
#[pyclass(frozen, module = "lrcore._core", name = "SearchSpace")]
pub struct PySearchSpace {
    inner: Space,
}

/// An uninitialised numpy column of n values: numpy allocates (asking the kernel for huge
/// pages on large arrays, and raising MemoryError when it cannot), the sampler writes every
/// element once.
fn empty<'py, T: Element>(py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyArray1<T>>> {
    let numpy = py.import("numpy")?;
    numpy
        .call_method1("empty", (n, T::get_dtype(py)))
        .map_err(|e| {
            if e.is_instance_of::<PyMemoryError>(py) {
                err(Error::Memory {
                    requested: format!("{n} rows"),
                })
            } else {
                e
            }
        })?
        .cast_into::<PyArray1<T>>()
        .map_err(PyErr::from)
}

fn columns(py: Python<'_>, cols: Vec<Column>) -> Vec<Bound<'_, PyAny>> {
    cols.into_iter()
        .map(|c| match c {
            Column::Float(v) => v.into_pyarray(py).into_any(),
            Column::Int(v) | Column::Index(v) => v.into_pyarray(py).into_any(),
        })
        .collect()
}

#[pymethods]
impl PySearchSpace {
    #[new]
    fn new(params: Vec<Spec<'_>>) -> PyResult<Self> {
        let params = params
            .into_iter()
            .map(|(name, kind, fields, when)| {
                Ok(Param {
                    name,
                    dist: dist(&kind, &fields)?,
                    when: when
                        .into_iter()
                        .map(|(parent, levels)| Condition { parent, levels })
                        .collect(),
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PySearchSpace {
            inner: Space::new(params).map_err(err)?,
        })
    }

    /// Columns (parameter order) of rows start … start + n − 1: float64 (NaN where inactive),
    /// int64 values, or int64 option indices (−1 where inactive) for non-numeric choices.
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: u64,
        seed: u64,
        method: &str,
        start: u64,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let method = Method::parse(method).map_err(err)?;
        search::check(&self.inner, n, method, start).map_err(err)?;
        let rows = usize::try_from(n).map_err(|_| {
            err(Error::Memory {
                requested: format!("{n} rows"),
            })
        })?;
        let kinds = search::kinds(&self.inner);
        let mut floats: Vec<Bound<'py, PyArray1<f64>>> = Vec::new();
        let mut ints: Vec<Bound<'py, PyArray1<i64>>> = Vec::new();
        let mut arrays: Vec<Bound<'py, PyAny>> = Vec::with_capacity(kinds.len());
        for k in &kinds {
            if *k == Kind::Float {
                let a = empty::<f64>(py, rows)?;
                arrays.push(a.clone().into_any());
                floats.push(a);
            } else {
                let a = empty::<i64>(py, rows)?;
                arrays.push(a.clone().into_any());
                ints.push(a);
            }
        }
        {
            let mut fw: Vec<PyReadwriteArray1<'py, f64>> =
                floats.iter().map(|a| a.readwrite()).collect();
            let mut iw: Vec<PyReadwriteArray1<'py, i64>> =
                ints.iter().map(|a| a.readwrite()).collect();
            let mut fs = fw.iter_mut();
            let mut is = iw.iter_mut();
            let mut cols: Vec<ColumnMut<'_>> = Vec::with_capacity(kinds.len());
            for k in &kinds {
                let col = if *k == Kind::Float {
                    fs.next().map(|w| w.as_slice_mut().map(ColumnMut::Float))
                } else {
                    is.next().map(|w| w.as_slice_mut().map(ColumnMut::Int))
                };
                cols.push(
                    col.expect("one array per column")
                        .map_err(|e| PyValueError::new_err(e.to_string()))?,
                );
            }
            py.detach(|| search::sample_into(&self.inner, seed, method, start, cols))
                .map_err(err)?;
        }
        Ok(arrays)
    }

    /// Columns of the grid with k points per float axis.
    fn grid<'py>(&self, py: Python<'py>, k: u64) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let cols = py.detach(|| search::grid(&self.inner, k)).map_err(err)?;
        Ok(columns(py, cols))
    }

    /// Parameter names, in dimension order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.inner.params().iter().map(|p| p.name.clone()).collect()
    }

    /// Column kinds: 'float', 'int' or 'index', in parameter order.
    #[getter]
    fn kinds(&self) -> Vec<&'static str> {
        search::kinds(&self.inner)
            .into_iter()
            .map(Kind::name)
            .collect()
    }
}

/// The most parameters `sobol` and `halton` can sample.
#[pyfunction]
pub fn max_qmc_dims() -> usize {
    search::MAX_QMC_DIMS
}
