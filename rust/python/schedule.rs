//! The frozen `Schedule` pyclass and the module functions that build one.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn};
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyString, PyTuple};

use super::convert::{number, to_arg};
use crate::error::Error;
use crate::schedule::{self, count, describe_num, Arg, Batch};

/// A learning-rate (or momentum, or any hyper-parameter) schedule: an immutable value mapping
/// a step to a number, or a batch of such schedules. Build one with lrcore's functions
/// (`lrcore.cosine(...)`), `lrcore.parse`, or `lrcore.from_dict` / `lrcore.from_json`.
///
/// >>> import lrcore as lr
/// >>> s = lr.warmup(2, lr.linear(1.0, 0.0, 4))
/// >>> s
/// warmup(2, linear(1.0, 0.0, 4))
/// >>> lr.parse(repr(s)) == s, s.total_steps
/// (True, 6)
///
/// Called with a step (int or float >= 0) it gives a float; with an array of steps, an array:
///
/// >>> s(3), s(2.5), s(100)
/// (0.75, 0.875, 0.0)
/// >>> s([0, 4, 6]).tolist()
/// [0.0, 0.5, 0.0]
/// >>> lr.stack([s, lr.constant(2.0)])(3).tolist()
/// [0.75, 2.0]
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

/// Seconds of work per part of a heavy evaluation, between two checks for signals.
const PART_TIME: f64 = 0.025;

/// Fewest values per part: a row is spread over threads from 2**17 values, so smaller parts
/// would leave cores idle. Only the costliest schedules take longer than [`PART_TIME`] then
/// (a sum of 64 `noise` terms, 29 µs a value: about 2 s on 2 cores).
const MIN_PART: usize = 1 << 17;

/// Most values per part (128 MiB of output).
const MAX_PART: usize = 1 << 24;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// The numpy dtype kind (`'i'`, `'f'`, `'b'`, …) of a numpy scalar; None for anything else.
fn numpy_scalar_kind(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let generic = obj.py().import("numpy")?.getattr("generic")?;
    if !obj.is_instance(&generic)? {
        return Ok(None);
    }
    Ok(Some(obj.getattr("dtype")?.getattr("kind")?.extract()?))
}

/// A step given as one number: a Python int or float (not a bool) or a numpy integer or
/// float scalar; None for anything else (an array, a list), which the caller reads as steps.
fn scalar_step(t: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    if (t.is_instance_of::<PyInt>() || t.is_instance_of::<PyFloat>())
        && !t.is_instance_of::<PyBool>()
    {
        return number(t).map(Some);
    }
    match numpy_scalar_kind(t)? {
        Some(kind) if REAL_KINDS.contains(kind.as_str()) => {
            number(&t.call_method0("item")?).map(Some)
        }
        _ => Ok(None),
    }
}

/// numpy dtype kinds of real numbers: signed and unsigned integers, floats.
const REAL_KINDS: &str = "iuf";

/// Steps given as an array (or list) of real numbers, as float64. numpy would turn "3" into
/// 3.0, True into 1.0 and drop an imaginary part; each is a caller's mistake, so only integer
/// and float dtypes pass.
fn step_array<'py>(t: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArrayDyn<'py, f64>> {
    let rejected = |what: String| {
        PyTypeError::new_err(format!(
            "Schedule(): steps must be a real number or an array of real numbers (int or float), got {what}"
        ))
    };
    if t.is_instance_of::<PyString>()
        || t.is_instance_of::<PyBytes>()
        || t.is_instance_of::<PyBool>()
    {
        return Err(rejected(format!(
            "{} of type '{}'",
            t.repr()?,
            type_name(t)
        )));
    }
    let numpy = t.py().import("numpy")?;
    let array = numpy
        .call_method1("asarray", (t,))
        .map_err(|_| rejected(format!("an object of type '{}'", type_name(t))))?;
    let dtype = array.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !REAL_KINDS.contains(kind.as_str()) {
        return Err(rejected(format!(
            "an object of type '{}' with dtype {}",
            type_name(t),
            dtype.str()?
        )));
    }
    Ok(numpy
        .call_method1("asarray", (array, "float64"))?
        .cast_into::<PyArrayDyn<f64>>()?
        .readonly())
}

/// A fresh float64 array: numpy allocates it, raising MemoryError when it cannot (and asking
/// the kernel for huge pages on large arrays); the kernels then write every element once.
fn empty<'py>(
    py: Python<'py>,
    func: &str,
    shape: Vec<usize>,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let described = shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" x ");
    let array = py
        .import("numpy")?
        .call_method1("empty", (shape,))
        .map_err(|e| {
            if e.is_instance_of::<PyMemoryError>(py) {
                PyMemoryError::new_err(format!(
                    "{func}(): cannot allocate memory for {described} float64 values"
                ))
            } else {
                e
            }
        })?;
    Ok(array.cast_into::<PyArrayDyn<f64>>()?)
}

/// A count given by the caller: a Python int (not a bool) or a numpy integer; a float, even
/// 2.0, is a TypeError.
fn count_of(func: &str, param: &str, obj: &Bound<'_, PyAny>, min: u64) -> PyResult<u64> {
    let integral = (obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>())
        || numpy_scalar_kind(obj)?.is_some_and(|k| k == "i" || k == "u");
    if !integral {
        return Err(PyTypeError::new_err(format!(
            "{func}(): {param} must be an integer, got {} of type '{}'",
            obj.repr()?,
            type_name(obj)
        )));
    }
    Ok(count(
        func,
        param,
        number(&obj.call_method0("__index__")?)?,
        min,
    )?)
}

impl PySchedule {
    /// Fills `out` (a fresh array of one row of `n` values per schedule) with
    /// `fill(batch, first, part)`: the values of columns `first …` of `batch`'s rows into `part`.
    /// Heavy work runs without the GIL in parts (pieces of one row, or whole rows when rows are
    /// short) sized to take about [`PART_TIME`] each, re-taking the GIL between parts to check
    /// for signals, so Ctrl-C raises KeyboardInterrupt promptly however costly the schedule;
    /// the half-filled array is then dropped, never returned.
    fn fill_rows(
        &self,
        py: Python<'_>,
        n: usize,
        out: &Bound<'_, PyArrayDyn<f64>>,
        fill: impl Fn(&Batch, usize, &mut [f64]) + Sync,
    ) -> PyResult<()> {
        let mut writable = out.readwrite();
        let out = writable
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        if n == 0 {
            return Ok(());
        }
        if !self.inner.is_heavy(n) {
            fill(&self.inner, 0, out);
            return Ok(());
        }
        let items = self.inner.items();
        let (mut row, mut col, mut width) = (0, 0, MIN_PART);
        while row < items.len() {
            let (rows, cols) = if col > 0 || n >= width {
                (1, width.min(n - col))
            } else {
                ((width / n).min(items.len() - row), n)
            };
            let batch = if rows == items.len() {
                Cow::Borrowed(&self.inner)
            } else {
                Cow::Owned(Batch::many(items[row..row + rows].to_vec()))
            };
            let first = row * n + col;
            let part = &mut out[first..first + rows * cols];
            let started = Instant::now();
            py.detach(|| fill(&batch, col, part));
            let took = started.elapsed().as_secs_f64().max(1e-6);
            py.check_signals()?;
            width = ((width as f64 * PART_TIME / took) as usize).clamp(MIN_PART, MAX_PART);
            col += cols;
            if col == n {
                (row, col) = (row + rows, 0);
            }
        }
        Ok(())
    }

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
    /// The value at step `t` (int or float >= 0, a numpy integer or float too) as a Python
    /// float, or a float64 array for an array of steps. A batch of B schedules gives a (B,)
    /// array, or (B, *t.shape). Steps must be real numbers: bool, complex, datetime, text and
    /// object steps raise TypeError.
    /// (Python shows the class docstring's example: PyO3 keeps no docstring for `__call__`.)
    fn __call__<'py>(&self, py: Python<'py>, t: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(t) = scalar_step(t)? {
            let t = check_step(t)?;
            return match self.inner.as_single() {
                Some(one) => Ok(PyFloat::new(py, one.value(t)).into_any()),
                None => Ok(self.inner.eval_many(&[t])?.into_pyarray(py).into_any()),
            };
        }
        let array = step_array(t)?;
        let view = array.as_array();
        let mut shape = view.shape().to_vec();
        // A contiguous array is read in place; only a strided view is copied (checked).
        let steps: Cow<'_, [f64]> = match view.as_slice() {
            Some(steps) => Cow::Borrowed(steps),
            None => {
                let mut copy = Vec::new();
                copy.try_reserve_exact(view.len()).map_err(|_| {
                    PyErr::from(Error::memory(
                        "Schedule",
                        format!("a copy of {} steps", view.len()),
                    ))
                })?;
                copy.extend(view.iter().copied());
                Cow::Owned(copy)
            }
        };
        if let Some(&bad) = steps.iter().find(|&&x| !(x.is_finite() && x >= 0.0)) {
            check_step(bad)?;
        }
        if let Some(b) = self.inner.batch_size() {
            shape.insert(0, b);
        }
        let out = empty(py, "Schedule", shape)?;
        self.fill_rows(py, steps.len(), &out, |batch, first, part| {
            let cols = part.len() / batch.items().len();
            batch.eval_into(&steps[first..first + cols], part)
        })?;
        Ok(out.into_any())
    }

    /// Values of steps `start … start + n − 1` as a float64 array: (n,) for a schedule,
    /// (B, n) for a batch. Computed without the GIL, in parallel for large n.
    ///
    /// >>> import lrcore as lr
    /// >>> lr.linear(1.0, 0.0, 4).values(3, start=2).tolist()
    /// [0.5, 0.25, 0.0]
    #[pyo3(signature = (n, start = None))]
    fn values<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let n = count_of("values", "n", n, 0)?;
        let start = start.map_or(Ok(0), |s| count_of("values", "start", s, 0))?;
        let len = usize::try_from(n)
            .map_err(|_| PyErr::from(Error::memory("values", format!("{n} float64 values"))))?;
        let shape = match self.inner.batch_size() {
            None => vec![len],
            Some(b) => vec![b, len],
        };
        let out = empty(py, "values", shape)?;
        self.fill_rows(py, len, &out, |batch, first, part| {
            batch.values_into(start + first as u64, part)
        })?;
        Ok(out.into_any())
    }

    /// The value of each schedule (one for a single schedule, B for a batch) at step `t`, as
    /// a list of floats.
    ///
    /// >>> import lrcore as lr
    /// >>> lr.stack([lr.constant(1.0), lr.linear(1.0, 0.0, 4)]).values_at(2)
    /// [1.0, 0.5]
    fn values_at(&self, t: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
        let t = scalar_step(t)?.ok_or_else(|| {
            PyTypeError::new_err(format!(
                "values_at(): t must be a real number (int or float), got an object of type '{}'",
                type_name(t)
            ))
        })?;
        let t = check_step(t)?;
        Ok(self.inner.items().iter().map(|s| s.value(t)).collect())
    }

    /// The step from which the value holds for ever; None for an endless schedule.
    /// For a batch, the latest over its schedules.
    ///
    /// >>> import lrcore as lr
    /// >>> lr.warmup(10, lr.cosine(1.0, 0.0, 90)).total_steps
    /// 100
    /// >>> lr.exp_decay(1.0, 0.9).total_steps is None
    /// True
    #[getter]
    fn total_steps(&self) -> Option<u64> {
        self.inner.total_steps()
    }

    /// None for a single schedule, B for a batch of B.
    ///
    /// >>> import lrcore as lr
    /// >>> lr.constant(1.0).batch_size is None, lr.constant([1.0, 2.0]).batch_size
    /// (True, 2)
    #[getter]
    fn batch_size(&self) -> Option<usize> {
        self.inner.batch_size()
    }

    /// Floor and/or ceiling: min(max(s(t), lo), hi).
    ///
    /// >>> import lrcore as lr
    /// >>> lr.linear(1.0, 0.0, 4).clip(lo=0.3, hi=0.9).values(5).tolist()
    /// [0.9, 0.75, 0.5, 0.3, 0.3]
    #[pyo3(signature = (lo = None, hi = None))]
    fn clip(&self, lo: Option<&Bound<'_, PyAny>>, hi: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let arg = |x: Option<&Bound<'_, PyAny>>| x.map_or(Ok(Arg::None), to_arg);
        self.method("clip", vec![arg(lo)?, arg(hi)?], Vec::new())
    }

    /// Delayed by n steps: the value at t is s(max(t − n, 0)); a negative n advances the
    /// schedule by |n| steps.
    ///
    /// >>> import lrcore as lr
    /// >>> lr.linear(1.0, 0.0, 4).shift(2).values(5).tolist()
    /// [1.0, 1.0, 1.0, 0.75, 0.5]
    fn shift(&self, n: &Bound<'_, PyAny>) -> PyResult<Self> {
        self.method("shift", vec![to_arg(n)?], Vec::new())
    }

    /// A schedule written in epochs, evaluated at steps: s(floor(t / steps_per_epoch)).
    ///
    /// >>> import lrcore as lr
    /// >>> lr.step_decay(1.0, 1, 0.5).per_epoch(3).values(7).tolist()
    /// [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
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
    ///
    /// >>> import lrcore as lr
    /// >>> s = lr.cosine(1.0, 0.0, 10)
    /// >>> s.to_json()
    /// '{"kind":"cosine","start":1.0,"end":0.0,"steps":10,"k":1.0}'
    /// >>> lr.from_json(s.to_json()) == s
    /// True
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The dict form (the JSON form as Python objects); `lrcore.from_dict` reads it back.
    ///
    /// >>> import lrcore as lr
    /// >>> s = lr.cosine(1.0, 0.0, 10)
    /// >>> s.to_dict()
    /// {'kind': 'cosine', 'start': 1.0, 'end': 0.0, 'steps': 10, 'k': 1.0}
    /// >>> lr.from_dict(s.to_dict()) == s
    /// True
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
    ///
    /// >>> import matplotlib
    /// >>> matplotlib.use("Agg")
    /// >>> import lrcore as lr
    /// >>> ax = lr.cosine(1.0, 0.0, 100).plot()
    /// >>> ax.get_lines()[0].get_label()
    /// 'cosine(1.0, 0.0, 100)'
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
///
/// >>> import lrcore as lr
/// >>> s = lr.parse("warmup(2, cosine(1e-3, 1e-5, 98))")
/// >>> s(2), s == lr.warmup(2, lr.cosine(1e-3, 1e-5, 98))
/// (0.001, True)
#[pyfunction]
pub fn parse(text: &str) -> PyResult<PySchedule> {
    Ok(wrap(schedule::parse(text)?))
}

/// Reads the JSON form that `Schedule.to_json` writes.
///
/// >>> import lrcore as lr
/// >>> s = lr.cosine(1.0, 0.0, 10)
/// >>> lr.from_json(s.to_json()) == s
/// True
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
