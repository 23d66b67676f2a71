//! The search binding: a frozen `SearchSpace` built from typed parameter specs, sampled without
//! the GIL straight into numpy arrays (no copy); grids are Rust buffers numpy takes over.

use numpy::{Element, IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadwriteArray1};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySlice};

use super::memory::{advise_huge_pages, HUGE_PAGE};
use crate::error::Error;
use crate::search::{
    self, ChoiceValues, Column, ColumnMut, Condition, Dist, Kind, Method, Param, Space,
};

fn err(e: Error) -> PyErr {
    e.into()
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

/// An uninitialised numpy block of `k` columns of n values (C order: column i is row i): numpy
/// allocates (asking the kernel for huge pages on large arrays, and raising MemoryError when it
/// cannot), the sampler writes every element once. One block per dtype rather than one array
/// per column, and a block of huge-page size or more starts on a huge-page boundary (a view of
/// an allocation padded by one huge page, whose untouched pages cost nothing): the kernel backs
/// only huge-page-aligned stretches with huge pages and faults the rest 4 KiB at a time (an
/// unaligned 32 MiB block took about 500 faults instead of 16, and a millisecond more).
fn empty<'py, T: Element>(
    py: Python<'py>,
    k: usize,
    n: usize,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let memory = || err(Error::memory("Space.sample", format!("{n} rows")));
    let size = k.checked_mul(n).ok_or_else(memory)?;
    let item = std::mem::size_of::<T>();
    let pad = if size.saturating_mul(item) >= HUGE_PAGE {
        HUGE_PAGE / item
    } else {
        0
    };
    let numpy = py.import("numpy")?;
    let flat = numpy
        .call_method1(
            "empty",
            (size.checked_add(pad).ok_or_else(memory)?, T::get_dtype(py)),
        )
        .map_err(|e| {
            if e.is_instance_of::<PyMemoryError>(py) {
                memory()
            } else {
                e
            }
        })?
        .cast_into::<PyArray1<T>>()?;
    // numpy's default allocations are aligned to 16 bytes or more, so the offset is a whole
    // number of items (under an allocator aligning less, the block merely starts near the
    // boundary).
    let offset = if pad == 0 {
        0
    } else {
        (flat.data() as usize).wrapping_neg() % HUGE_PAGE / item
    };
    flat.get_item(PySlice::new(
        py,
        offset as isize,
        (offset + size) as isize,
        1,
    ))?
    .cast_into::<PyArray1<T>>()?
    .reshape([k, n])
}

/// Draws of fewer rows take their options after drawing every column, in one pass.
const OVERLAP_ROWS: usize = 1 << 16;

/// What `SearchSpace.sample` returns: the columns, and the takes from them.
type Sampled<'py> = (Vec<Bound<'py, PyAny>>, Vec<Option<Bound<'py, PyAny>>>);

/// One uninitialised column of n rows per kind (parameter order), each a C-contiguous row of
/// its dtype's block.
fn blocks<'py>(py: Python<'py>, kinds: &[Kind], n: usize) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let n_floats = kinds.iter().filter(|k| **k == Kind::Float).count();
    let floats = empty::<f64>(py, n_floats, n)?;
    let ints = empty::<i64>(py, kinds.len() - n_floats, n)?;
    let (mut f, mut i) = (0usize.., 0usize..);
    kinds
        .iter()
        .map(|k| {
            let (block, row) = if *k == Kind::Float {
                (floats.as_any(), f.next())
            } else {
                (ints.as_any(), i.next())
            };
            block.get_item(row.expect("an unbounded range"))
        })
        .collect()
}

/// `tables[i].take(views[i])` for each column given a table.
fn take<'py>(
    tables: &[Option<Bound<'py, PyAny>>],
    views: &[Bound<'py, PyAny>],
) -> PyResult<Vec<Option<Bound<'py, PyAny>>>> {
    tables
        .iter()
        .zip(views)
        .map(|(t, v)| t.as_ref().map(|t| take_one(t, v)).transpose())
        .collect()
}

/// `table.take(view)`. For an object table, an array over a vector of the options themselves
/// (index −1, an inactive row, takes the table's last entry as numpy does): the same elements,
/// where numpy's object take copies each reference through a generic per-element routine
/// (with the array's release: 5.4 ns an element against 3.5).
fn take_one<'py>(
    table: &Bound<'py, PyAny>,
    view: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let Ok(options) = table.cast::<PyArray1<Py<PyAny>>>() else {
        return table.call_method1("take", (view,));
    };
    let py = table.py();
    let options = options.readonly();
    let options = options.as_slice().map_err(slice_err)?;
    let index = view.cast::<PyArray1<i64>>()?.readonly();
    let index = index.as_slice().map_err(slice_err)?;
    let last = options.len() - 1;
    let mut taken: Vec<Py<PyAny>> = Vec::with_capacity(index.len());
    advise_huge_pages(&taken);
    taken.extend(
        index
            .iter()
            .map(|&i| options[usize::try_from(i).unwrap_or(last)].clone_ref(py)),
    );
    Ok(PyArray1::from_vec(py, taken).into_any())
}

fn slice_err(e: numpy::AsSliceError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Write access to one column.
enum Writer<'py> {
    Float(PyReadwriteArray1<'py, f64>),
    Int(PyReadwriteArray1<'py, i64>),
}

/// Write access to the columns `pick` selects (None for the others).
fn writers<'py>(
    views: &[Bound<'py, PyAny>],
    kinds: &[Kind],
    pick: impl Fn(usize) -> bool,
) -> PyResult<Vec<Option<Writer<'py>>>> {
    views
        .iter()
        .zip(kinds)
        .enumerate()
        .map(|(i, (v, k))| {
            if !pick(i) {
                return Ok(None);
            }
            Ok(Some(if *k == Kind::Float {
                Writer::Float(v.cast::<PyArray1<f64>>()?.try_readwrite()?)
            } else {
                Writer::Int(v.cast::<PyArray1<i64>>()?.try_readwrite()?)
            }))
        })
        .collect()
}

/// The writers' columns as the sampler fills them.
fn columns_of<'a>(ws: &'a mut [Option<Writer<'_>>]) -> PyResult<Vec<Option<ColumnMut<'a>>>> {
    ws.iter_mut()
        .map(|w| {
            Ok(match w {
                None => None,
                Some(Writer::Float(w)) => {
                    Some(ColumnMut::Float(w.as_slice_mut().map_err(slice_err)?))
                }
                Some(Writer::Int(w)) => Some(ColumnMut::Int(w.as_slice_mut().map_err(slice_err)?)),
            })
        })
        .collect()
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
    /// int64 values, or int64 option indices (−1 where inactive) for non-numeric choices; and
    /// `tables[i].take(column i)` for each column given a table (None for the others). The
    /// columns given tables are drawn first; the take (which needs the GIL) then runs while the
    /// other columns are drawn without it.
    #[pyo3(signature = (n, seed, method, start, tables=None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: u64,
        seed: u64,
        method: &str,
        start: u64,
        tables: Option<Vec<Option<Bound<'py, PyAny>>>>,
    ) -> PyResult<Sampled<'py>> {
        let space = &self.inner;
        let method = Method::parse(method).map_err(err)?;
        search::check(space, n, method, start).map_err(err)?;
        let rows = usize::try_from(n)
            .map_err(|_| err(Error::memory("Space.sample", format!("{n} rows"))))?;
        let kinds = search::kinds(space);
        let d = kinds.len();
        let tables = tables.unwrap_or_else(|| (0..d).map(|_| None).collect());
        if tables.len() != d {
            return Err(PyValueError::new_err(format!(
                "SearchSpace.sample(): tables must have one entry per parameter ({d}), got {}",
                tables.len()
            )));
        }
        let views = blocks(py, &kinds, rows)?;
        // Two passes only where the overlap pays for the second pass and the thread. Nothing
        // to write in an empty draw (and the empty rows of a block share one address, which the
        // borrow checker would take for an overlap).
        let taking: Vec<bool> = tables
            .iter()
            .map(|t| t.is_some() && rows >= OVERLAP_ROWS)
            .collect();
        let any = taking.contains(&true);
        {
            // The columns to take from, or every column when none is.
            let mut ws = writers(&views, &kinds, |i| rows > 0 && (taking[i] || !any))?;
            let cols = columns_of(&mut ws)?;
            py.detach(|| search::sample_some(space, seed, method, start, rows, cols))
                .map_err(err)?;
        }
        if !any {
            let taken = take(&tables, &views)?;
            return Ok((views, taken));
        }
        let mut ws = writers(&views, &kinds, |i| !taking[i])?;
        let cols = columns_of(&mut ws)?;
        let taken = std::thread::scope(|s| {
            let work = s.spawn(move || search::sample_some(space, seed, method, start, rows, cols));
            let taken = take(&tables, &views);
            py.detach(|| work.join())
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .map_err(err)?;
            taken
        })?;
        Ok((views, taken))
    }

    /// Columns of the grid with k points per float axis.
    fn grid<'py>(&self, py: Python<'py>, k: u64) -> PyResult<Vec<Bound<'py, PyAny>>> {
        // Ctrl-C: the grid asks every few milliseconds; the GIL is re-taken briefly to look.
        let mut signal: Option<PyErr> = None;
        let mut stop = || {
            signal = Python::attach(|py| py.check_signals()).err();
            signal.is_some()
        };
        let cols = py.detach(|| search::grid(&self.inner, k, &mut stop));
        let cols = match (cols, signal) {
            (Err(Error::Interrupted { .. }), Some(signal)) => return Err(signal),
            (cols, _) => cols.map_err(err)?,
        };
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
