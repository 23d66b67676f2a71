//! The state of `lrcore.torch.ReduceLROnPlateau`: torch's attributes that a step reads or
//! writes, held in Rust, so that `scheduler.step(metrics)` is a bound method of this object
//! (the scheduler's instance attribute `step`) and touches no Python attribute but the
//! optimizer's param groups. The scheduler reads and writes them as properties of torch's
//! names.
//!
//! No borrow of a `Plateau` is held while Python code runs (a metric's `__float__`, an
//! optimizer's `param_groups` property): such code may read the scheduler, step it again, or
//! release the GIL to another thread that does.

use pyo3::exceptions::{PyAttributeError, PyKeyError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::plateau::{Counters, Num, Plateau, Rule, Step};

/// The attributes held here that a state dict saves, in the order `__reduce__` gives them
/// (after the optimizer): the numbers (`PyPlateau::numbers`), then the others.
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

/// A numeric attribute: a plain int or float, which a Rust step can update, or any other
/// object (a numpy integer, a Tensor …), kept as it is, for which torch's step runs.
enum Held {
    Plain(Num),
    Other(Py<PyAny>),
}

impl Held {
    fn new(value: &Bound<'_, PyAny>) -> Held {
        let plain = if value.is_exact_instance_of::<PyInt>() {
            value.extract::<i64>().ok().map(Num::Int)
        } else if value.is_exact_instance_of::<PyFloat>() {
            value.extract::<f64>().ok().map(Num::Float)
        } else {
            None
        };
        plain.map_or_else(|| Held::Other(value.clone().unbind()), Held::Plain)
    }

    fn num(&self) -> Option<Num> {
        match self {
            Held::Plain(n) => Some(*n),
            Held::Other(_) => None,
        }
    }

    fn get(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Held::Plain(Num::Int(i)) => i.into_pyobject(py)?.into_any().unbind(),
            Held::Plain(Num::Float(x)) => PyFloat::new(py, *x).into_any().unbind(),
            Held::Other(object) => object.clone_ref(py),
        })
    }
}

#[pyclass(module = "lrcore._core", name = "Plateau")]
pub struct PyPlateau {
    optimizer: Option<Py<PyAny>>,
    /// The first [`NUMBERS`] of [`FIELDS`], in that order.
    numbers: [Held; NUMBERS],
    mode: Py<PyAny>,
    threshold_mode: Py<PyAny>,
    rule: Rule,
    min_lrs: Py<PyAny>,
    default_min_lr: Py<PyAny>,
    /// torch's `_last_lr`: each group's `lr` after the last step.
    last_lr: Py<PyAny>,
    /// The scheduler class whose torch step (`_step`) takes the steps this one declines.
    scheduler: Option<Py<PyAny>>,
}

/// What a Rust step reads, where every value is a plain number.
struct Snapshot {
    counters: Counters,
    settings: Plateau,
    factor: f64,
    eps: f64,
}

impl PyPlateau {
    fn snapshot(&self) -> Option<Snapshot> {
        let [last_epoch, best, num_bad_epochs, cooldown_counter, patience, cooldown, threshold, factor, eps] =
            &self.numbers;
        Some(Snapshot {
            counters: Counters {
                last_epoch: last_epoch.num()?,
                best: best.num()?,
                num_bad_epochs: num_bad_epochs.num()?,
                cooldown_counter: cooldown_counter.num()?,
            },
            settings: Plateau {
                rule: self.rule,
                threshold: threshold.num()?,
                patience: patience.num()?,
                cooldown: cooldown.num()?,
            },
            factor: factor.num()?.value(),
            eps: eps.num()?.value(),
        })
    }

    /// `step(current)` where it can be taken here: the counters advanced, the rates cut
    /// where torch's step cuts them, and `_last_lr` read back. Returns False, having changed
    /// nothing, where a rate or a setting is not a plain number or the groups do not match
    /// `min_lrs` (torch's step then raises or resets them).
    fn advance(slf: &Bound<'_, Self>, current: f64) -> PyResult<bool> {
        let py = slf.py();
        // One shared borrow while reading: an optimizer's `param_groups` is plain data (a
        // property that stepped this scheduler again would find it borrowed, an error).
        let (s, groups, same, floors) = {
            let this = slf.try_borrow()?;
            let (Some(s), Some(optimizer)) = (this.snapshot(), &this.optimizer) else {
                return Ok(false);
            };
            let groups = optimizer
                .bind(py)
                .getattr(intern!(py, "param_groups"))?
                .cast_into::<PyList>()?;
            // A Tensor rate is cloned into _last_lr: torch's path.
            let Some(same) = this.float_rates(&groups)? else {
                return Ok(false);
            };
            (s, groups, same, this.min_lrs.clone_ref(py))
        };
        let Some(step) = s.settings.observe(&s.counters, current) else {
            return Ok(false);
        };
        let cuts = matches!(step, Step::Cut(_));
        if cuts && !cut(&s, floors.bind(py), &groups)? {
            return Ok(false);
        }
        let last_lr = if cuts || !same {
            let key = intern!(py, "lr");
            let rates = groups
                .iter()
                .map(|g| {
                    g.cast::<PyDict>()?
                        .get_item(key)?
                        .ok_or_else(|| PyKeyError::new_err("lr"))
                })
                .collect::<PyResult<Vec<_>>>()?;
            Some(PyList::new(py, rates)?.into_any().unbind())
        } else {
            None
        };
        let (Step::Count(next) | Step::Cut(next)) = step;
        let mut this = slf.try_borrow_mut()?;
        let counters = [
            next.last_epoch,
            next.best,
            next.num_bad_epochs,
            next.cooldown_counter,
        ];
        for (held, value) in this.numbers.iter_mut().zip(counters) {
            *held = Held::Plain(value);
        }
        if let Some(last_lr) = last_lr {
            this.last_lr = last_lr;
        }
        Ok(true)
    }

    /// Whether every group's `lr` is a float (None if not), and whether they are the objects
    /// `_last_lr` holds: most steps leave the rates as they were, and `_last_lr` is then kept
    /// as it is.
    fn float_rates(&self, groups: &Bound<'_, PyList>) -> PyResult<Option<bool>> {
        let py = groups.py();
        let key = intern!(py, "lr");
        let last = self.last_lr.bind(py).cast::<PyList>().ok();
        let mut same = last.is_some_and(|l| l.len() == groups.len());
        for (g, group) in groups.iter().enumerate() {
            match group.cast::<PyDict>()?.get_item(key)? {
                Some(rate) if rate.is_exact_instance_of::<PyFloat>() => {
                    same = same && last.is_some_and(|l| l.get_item(g).is_ok_and(|r| r.is(&rate)));
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
fn cut(s: &Snapshot, min_lrs: &Bound<'_, PyAny>, groups: &Bound<'_, PyList>) -> PyResult<bool> {
    let py = groups.py();
    let Ok(floors) = min_lrs.cast::<PyList>() else {
        return Ok(false);
    };
    let floors: Option<Vec<(Bound<'_, PyAny>, f64)>> = floors
        .iter()
        .map(|f| Held::new(&f).num().map(|x| (f, x.value())))
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
        let scaled = old * s.factor;
        // Python's max() keeps the first of equals, and the floor object itself when larger.
        let (new, value) = if floor_value > scaled {
            (floor, floor_value)
        } else {
            (PyFloat::new(py, scaled).into_any(), scaled)
        };
        if old - value > s.eps {
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
        let mut plateau = PyPlateau {
            optimizer,
            numbers: numbers.map(Held::Plain),
            mode: intern!(py, "min").clone().into_any().unbind(),
            threshold_mode: intern!(py, "rel").clone().into_any().unbind(),
            rule: Rule::MinRel,
            min_lrs: PyList::empty(py).into_any().unbind(),
            default_min_lr: py.None(),
            last_lr: PyList::empty(py).into_any().unbind(),
            scheduler: None,
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
        let mut args = args.clone();
        if args.len() == 1 && kwargs.is_none_or(|k| k.is_empty()) {
            // torch's float(metrics); its errors are torch's path's to raise.
            if let Ok(current) = args.get_item(0)?.extract::<f64>() {
                if Self::advance(slf, current)? {
                    return Ok(());
                }
                args = PyTuple::new(py, [current])?;
            }
        }
        let scheduler = slf
            .try_borrow()?
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
    fn bind(&mut self, scheduler: Py<PyAny>) {
        self.scheduler = Some(scheduler);
    }

    /// Attribute `name` (one of torch's names held here).
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        match name {
            "optimizer" => Ok(self
                .optimizer
                .as_ref()
                .map_or_else(|| py.None(), |o| o.clone_ref(py))),
            "mode" => Ok(self.mode.clone_ref(py)),
            "threshold_mode" => Ok(self.threshold_mode.clone_ref(py)),
            "min_lrs" => Ok(self.min_lrs.clone_ref(py)),
            "default_min_lr" => Ok(self.default_min_lr.clone_ref(py)),
            "_last_lr" => Ok(self.last_lr.clone_ref(py)),
            _ => match number(name) {
                Some(i) => self.numbers[i].get(py),
                None => Err(PyAttributeError::new_err(name.to_owned())),
            },
        }
    }

    /// Sets attribute `name` to `value`, kept as given (a later `get` returns the object,
    /// or an equal int or float).
    fn set(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let object = value.clone().unbind();
        match name {
            "optimizer" => self.optimizer = Some(object),
            "min_lrs" => self.min_lrs = object,
            "default_min_lr" => self.default_min_lr = object,
            "_last_lr" => self.last_lr = object,
            "mode" | "threshold_mode" => {
                if name == "mode" {
                    self.mode = object;
                } else {
                    self.threshold_mode = object;
                }
                let py = value.py();
                let (mode, threshold_mode) = (self.mode.bind(py), self.threshold_mode.bind(py));
                self.rule = Rule::new(
                    mode.eq("min")?,
                    mode.eq("max")?,
                    threshold_mode.eq("rel")?,
                    threshold_mode.eq("abs")?,
                );
            }
            _ => match number(name) {
                Some(i) => self.numbers[i] = Held::new(value),
                None => return Err(PyAttributeError::new_err(name.to_owned())),
            },
        }
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

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.optimizer)?;
        visit.call(&self.mode)?;
        visit.call(&self.threshold_mode)?;
        visit.call(&self.min_lrs)?;
        visit.call(&self.default_min_lr)?;
        visit.call(&self.last_lr)?;
        visit.call(&self.scheduler)?;
        for held in &self.numbers {
            if let Held::Other(object) = held {
                visit.call(object)?;
            }
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.optimizer = None;
        self.scheduler = None;
    }
}

/// The index in `PyPlateau::numbers` of attribute `name`.
fn number(name: &str) -> Option<usize> {
    FIELDS[..NUMBERS].iter().position(|n| *n == name)
}
