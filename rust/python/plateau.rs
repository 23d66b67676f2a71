//! The state of `lrcore.torch.ReduceLROnPlateau`: torch's attributes that a step reads or
//! writes, held in Rust, so that `scheduler.step(metrics)` is a bound method of this object
//! (the scheduler's instance attribute `step`) and touches no Python attribute but the
//! optimizer's param groups. The scheduler reads and writes them as properties of torch's
//! names.
//!
//! The state is behind a mutex, which no Python code runs under (a metric's `__float__`, a
//! rule's `__eq__`, a replaced value's finalizer): such code may read the scheduler or step
//! it again. A thread that finds the mutex held waits detached from Python, so a thread that
//! holds it can always take the GIL back.

use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::{PyAttributeError, PyKeyError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::plateau::{Counters, Num, Plateau, Rule, Step};

/// The attributes held here that a state dict saves, in the order `__reduce__` gives them
/// (after the optimizer): the numbers (`State::numbers`), then the others.
const FIELDS: [&str; 14] = [
    "last_epoch",
    "best",
    "num_bad_epochs",
    "cooldown_counter",
    "patience",
    "cooldown",
    "threshold",
    "factor",
    "eps",
    "mode",
    "threshold_mode",
    "min_lrs",
    "default_min_lr",
    "_last_lr",
];

/// How many of [`FIELDS`] are numbers.
const NUMBERS: usize = 9;

/// A plain int or float, which a Rust step can update; None for any other value (a numpy
/// integer, a Tensor …), which is kept as it is and for which torch's step runs.
fn plain(value: &Bound<'_, PyAny>) -> Option<Num> {
    if value.is_exact_instance_of::<PyInt>() {
        value.extract::<i64>().ok().map(Num::Int)
    } else if value.is_exact_instance_of::<PyFloat>() {
        value.extract::<f64>().ok().map(Num::Float)
    } else {
        None
    }
}

fn to_py(py: Python<'_>, value: Num) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Num::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Num::Float(x) => PyFloat::new(py, x).into_any().unbind(),
    })
}

#[pyclass(frozen, module = "lrcore._core", name = "Plateau")]
pub struct PyPlateau {
    state: Mutex<State>,
}

struct State {
    optimizer: Option<Py<PyAny>>,
    /// The first [`NUMBERS`] of [`FIELDS`], in that order, where they are plain ints and
    /// floats; `others[i]` holds any other value of number `i`.
    numbers: [Num; NUMBERS],
    others: [Option<Py<PyAny>>; NUMBERS],
    mode: Py<PyAny>,
    threshold_mode: Py<PyAny>,
    rule: Rule,
    min_lrs: Py<PyAny>,
    default_min_lr: Py<PyAny>,
    /// torch's `_last_lr`: each group's `lr` after the last step.
    last_lr: Py<PyAny>,
    /// The items of `last_lr` where a step of this object made it (empty where it was set
    /// from Python), compared by identity without calls into Python.
    last_rates: Vec<Py<PyAny>>,
    /// The scheduler class whose torch step (`_step`) takes the steps this one declines.
    scheduler: Option<Py<PyAny>>,
}

impl State {
    /// `step(current)` where it can be taken here: the counters advanced and the rates cut
    /// where torch's step cuts them. Returns None, having changed nothing, where a rate or a
    /// number is not a plain int or float or the groups do not match `min_lrs` (torch's step
    /// then raises or resets them); otherwise the rates `_last_lr` is to hold, where they
    /// changed.
    ///
    /// Runs under the mutex while it reads the optimizer's `param_groups` and writes their
    /// rates: plain data, which runs no Python code and allocates nothing that could start
    /// the cyclic GC (whose finalizers could run Python code).
    fn advance(
        &mut self,
        py: Python<'_>,
        current: f64,
    ) -> PyResult<Option<Option<Vec<Py<PyAny>>>>> {
        let Some(optimizer) = &self.optimizer else {
            return Ok(None);
        };
        if self.others.iter().any(Option::is_some) {
            return Ok(None);
        }
        let groups = optimizer
            .bind(py)
            .getattr(intern!(py, "param_groups"))?
            .cast_into::<PyList>()?;
        // A Tensor rate is cloned into _last_lr: torch's path.
        let Some(same) = self.float_rates(&groups)? else {
            return Ok(None);
        };
        let [last_epoch, best, num_bad_epochs, cooldown_counter, patience, cooldown, threshold, factor, eps] =
            self.numbers;
        let counters = Counters {
            last_epoch,
            best,
            num_bad_epochs,
            cooldown_counter,
        };
        let rule = Plateau {
            rule: self.rule,
            threshold,
            patience,
            cooldown,
        };
        let Some(step) = rule.observe(&counters, current) else {
            return Ok(None);
        };
        let cuts = matches!(step, Step::Cut(_));
        if cuts && !cut(factor.value(), eps.value(), self.min_lrs.bind(py), &groups)? {
            return Ok(None);
        }
        let rates = if cuts || !same {
            let key = intern!(py, "lr");
            let rates = groups
                .iter()
                .map(|g| {
                    let rate = g.cast::<PyDict>()?.get_item(key)?;
                    Ok(rate.ok_or_else(|| PyKeyError::new_err("lr"))?.unbind())
                })
                .collect::<PyResult<Vec<_>>>()?;
            Some(rates)
        } else {
            None
        };
        let (Step::Count(next) | Step::Cut(next)) = step;
        self.numbers[..4].copy_from_slice(&[
            next.last_epoch,
            next.best,
            next.num_bad_epochs,
            next.cooldown_counter,
        ]);
        Ok(Some(rates))
    }

    /// Whether every group's `lr` is a float (None if not), and whether they are the objects
    /// `_last_lr` holds: most steps leave the rates as they were, and `_last_lr` is then kept
    /// as it is.
    fn float_rates(&self, groups: &Bound<'_, PyList>) -> PyResult<Option<bool>> {
        let key = intern!(groups.py(), "lr");
        let mut same = groups.len() == self.last_rates.len();
        for (g, group) in groups.iter().enumerate() {
            match group.cast::<PyDict>()?.get_item(key)? {
                Some(rate) if rate.is_exact_instance_of::<PyFloat>() => {
                    same = same && rate.is(&self.last_rates[g]);
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(same))
    }
}

/// torch's `_reduce_lr`: each group's rate becomes `max(lr · factor, min_lrs[g])` where that
/// lowers it by more than `eps`. Returns False, having written nothing, where `min_lrs` is
/// not a list of plain numbers, one per group.
fn cut(
    factor: f64,
    eps: f64,
    min_lrs: &Bound<'_, PyAny>,
    groups: &Bound<'_, PyList>,
) -> PyResult<bool> {
    let py = groups.py();
    let Ok(floors) = min_lrs.cast::<PyList>() else {
        return Ok(false);
    };
    let floors: Option<Vec<(Bound<'_, PyAny>, f64)>> = floors
        .iter()
        .map(|f| plain(&f).map(|x| (f, x.value())))
        .collect();
    let Some(floors) = floors.filter(|f| f.len() == groups.len()) else {
        return Ok(false);
    };
    let key = intern!(py, "lr");
    for (group, (floor, floor_value)) in groups.iter().zip(floors) {
        let group = group.cast_into::<PyDict>()?;
        let rate = group.get_item(key)?;
        let old = rate
            .ok_or_else(|| PyKeyError::new_err("lr"))?
            .extract::<f64>()?;
        let scaled = old * factor;
        // Python's max() keeps the first of equals, and the floor object itself when larger.
        let (new, value) = if floor_value > scaled {
            (floor, floor_value)
        } else {
            (PyFloat::new(py, scaled).into_any(), scaled)
        };
        if old - value > eps {
            group.set_item(key, new)?;
        }
    }
    Ok(true)
}

#[pymethods]
impl PyPlateau {
    /// torch's initial state, or a saved one (`__reduce__`): the optimizer, then [`FIELDS`].
    #[new]
    #[pyo3(signature = (optimizer = None, *state))]
    fn new(
        py: Python<'_>,
        optimizer: Option<Py<PyAny>>,
        state: &Bound<'_, PyTuple>,
    ) -> PyResult<Self> {
        // torch's defaults.
        let numbers = [
            Num::Int(0),
            Num::Float(f64::INFINITY),
            Num::Int(0),
            Num::Int(0),
            Num::Int(10),
            Num::Int(0),
            Num::Float(1e-4),
            Num::Float(0.1),
            Num::Float(1e-8),
        ];
        let plateau = PyPlateau {
            state: Mutex::new(State {
                optimizer,
                numbers,
                others: Default::default(),
                mode: intern!(py, "min").clone().into_any().unbind(),
                threshold_mode: intern!(py, "rel").clone().into_any().unbind(),
                rule: Rule::MinRel,
                min_lrs: PyList::empty(py).into_any().unbind(),
                default_min_lr: py.None(),
                last_lr: PyList::empty(py).into_any().unbind(),
                last_rates: Vec::new(),
                scheduler: None,
            }),
        };
        for (name, value) in FIELDS.iter().zip(state.iter()) {
            plateau.set(name, &value)?;
        }
        Ok(plateau)
    }

    /// `scheduler.step(metrics)`, or torch's step where this one declines (with the metric
    /// already converted, so a `__float__` runs once).
    ///
    /// torch's step runs on a new instance of the scheduler's class over this same state
    /// (every attribute torch's step reads or writes is held here): this object keeps no
    /// reference to the scheduler, whose `step` it is, so the scheduler is freed as soon as
    /// it is dropped, without the cyclic GC, as torch's is, while a `step` taken from it
    /// still works.
    #[pyo3(signature = (*args, **kwargs))]
    fn step(
        slf: &Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let mut converted = None;
        if args.len() == 1 && kwargs.is_none_or(|k| k.is_empty()) {
            // torch's float(metrics); its errors are torch's path's to raise.
            if let Ok(current) = args.get_item(0)?.extract::<f64>() {
                let plateau = slf.get();
                let taken = plateau.lock(py).advance(py, current)?;
                if let Some(rates) = taken {
                    if let Some(rates) = rates {
                        // A new list, made unlocked (it may start the GC).
                        let list = PyList::new(py, &rates)?.into_any().unbind();
                        let mut state = plateau.lock(py);
                        let old = (
                            std::mem::replace(&mut state.last_lr, list),
                            std::mem::replace(&mut state.last_rates, rates),
                        );
                        drop(state);
                        drop(old);
                    }
                    return Ok(());
                }
                converted = Some(PyTuple::new(py, [current])?);
            }
        }
        let args = converted.as_ref().unwrap_or(args);
        let scheduler = slf
            .get()
            .lock(py)
            .scheduler
            .as_ref()
            .map(|c| c.clone_ref(py));
        let scheduler = scheduler
            .ok_or_else(|| {
                PyAttributeError::new_err("Plateau.step: bind() a scheduler class first")
            })?
            .into_bound(py);
        let view = scheduler.call_method1(intern!(py, "__new__"), (&scheduler,))?;
        view.setattr(intern!(py, "_plateau"), slf)?;
        view.call_method(intern!(py, "_step"), args, kwargs)?;
        Ok(())
    }

    /// Sets the scheduler class whose torch step `_step` takes the steps `step` declines.
    fn bind(&self, py: Python<'_>, scheduler: Py<PyAny>) {
        let old = self.lock(py).scheduler.replace(scheduler);
        drop(old);
    }

    /// Attribute `name` (one of torch's names held here).
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let state = self.lock(py);
        match name {
            "optimizer" => Ok(state
                .optimizer
                .as_ref()
                .map_or_else(|| py.None(), |o| o.clone_ref(py))),
            "mode" => Ok(state.mode.clone_ref(py)),
            "threshold_mode" => Ok(state.threshold_mode.clone_ref(py)),
            "min_lrs" => Ok(state.min_lrs.clone_ref(py)),
            "default_min_lr" => Ok(state.default_min_lr.clone_ref(py)),
            "_last_lr" => Ok(state.last_lr.clone_ref(py)),
            _ => match number(name) {
                Some(i) => match &state.others[i] {
                    Some(object) => Ok(object.clone_ref(py)),
                    None => to_py(py, state.numbers[i]),
                },
                None => Err(PyAttributeError::new_err(name.to_owned())),
            },
        }
    }

    /// Sets attribute `name` to `value`, kept as given (a later `get` returns the object,
    /// or an equal int or float).
    fn set(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = value.py();
        let object = value.clone().unbind();
        // Comparisons with a mode may run Python code: made unlocked.
        let rule = if name == "mode" || name == "threshold_mode" {
            let (mode, threshold_mode) = {
                let state = self.lock(py);
                (state.mode.clone_ref(py), state.threshold_mode.clone_ref(py))
            };
            let (mode, threshold_mode) = if name == "mode" {
                (value.clone(), threshold_mode.into_bound(py))
            } else {
                (mode.into_bound(py), value.clone())
            };
            Some(Rule::new(
                mode.eq("min")?,
                mode.eq("max")?,
                threshold_mode.eq("rel")?,
                threshold_mode.eq("abs")?,
            ))
        } else {
            None
        };
        let mut state = self.lock(py);
        // What a value replaces is released unlocked (its finalizer may run Python code).
        let old = match name {
            "optimizer" => state.optimizer.replace(object),
            "min_lrs" => Some(std::mem::replace(&mut state.min_lrs, object)),
            "default_min_lr" => Some(std::mem::replace(&mut state.default_min_lr, object)),
            "_last_lr" => {
                state.last_rates.clear();
                Some(std::mem::replace(&mut state.last_lr, object))
            }
            "mode" => Some(std::mem::replace(&mut state.mode, object)),
            "threshold_mode" => Some(std::mem::replace(&mut state.threshold_mode, object)),
            _ => match number(name) {
                Some(i) => match plain(value) {
                    Some(n) => {
                        state.numbers[i] = n;
                        state.others[i].take()
                    }
                    None => state.others[i].replace(object),
                },
                None => return Err(PyAttributeError::new_err(name.to_owned())),
            },
        };
        if let Some(rule) = rule {
            state.rule = rule;
        }
        drop(state);
        drop(old);
        Ok(())
    }

    /// The names a state dict saves.
    #[staticmethod]
    fn fields() -> [&'static str; 14] {
        FIELDS
    }

    /// Pickles (and copies) as its optimizer and attributes; a copy's scheduler binds its
    /// own step.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let values = ["optimizer"]
            .iter()
            .chain(&FIELDS)
            .map(|name| self.get(py, name))
            .collect::<PyResult<Vec<_>>>()?;
        Ok((
            py.get_type::<PyPlateau>().into_any(),
            PyTuple::new(py, values)?,
        ))
    }

    /// What the state holds, where no other thread holds it now (a reference not visited
    /// keeps its object alive: the safe side).
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        let Ok(state) = self.state.try_lock() else {
            return Ok(());
        };
        visit.call(&state.optimizer)?;
        visit.call(&state.mode)?;
        visit.call(&state.threshold_mode)?;
        visit.call(&state.min_lrs)?;
        visit.call(&state.default_min_lr)?;
        visit.call(&state.last_lr)?;
        for rate in &state.last_rates {
            visit.call(rate)?;
        }
        visit.call(&state.scheduler)?;
        for object in &state.others {
            visit.call(object)?;
        }
        Ok(())
    }
}

impl PyPlateau {
    /// The state, waiting for it detached from Python where another thread holds it. A
    /// panic elsewhere cannot leave it half-written, so a poisoned lock is still good.
    fn lock(&self, py: Python<'_>) -> MutexGuard<'_, State> {
        self.state
            .lock_py_attached(py)
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The index in `State::numbers` of attribute `name`.
fn number(name: &str) -> Option<usize> {
    FIELDS[..NUMBERS].iter().position(|n| *n == name)
}
