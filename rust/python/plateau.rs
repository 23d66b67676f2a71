//! The state of `lrcore.torch.ReduceLROnPlateau`: torch's attributes that a step reads or
//! writes, held in Rust, so that `scheduler.step(metrics)` is a bound method of this object
//! (the scheduler's instance attribute `step`) and touches no Python attribute but the
//! optimizer's param groups. The scheduler reads and writes them as properties of torch's
//! names.

use pyo3::exceptions::{PyAttributeError, PyKeyError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::plateau::{Counters, Num, Plateau, Rule, Step};

/// The attributes held here that a state dict saves, in the order `__reduce__` gives them
/// (after the optimizer).
const FIELDS: [&str; 13] = [
    "last_epoch",
    "best",
    "num_bad_epochs",
    "cooldown_counter",
    "patience",
    "cooldown",
    "threshold",
    "mode",
    "threshold_mode",
    "factor",
    "eps",
    "min_lrs",
    "_last_lr",
];

#[pyclass(module = "lrcore._core", name = "Plateau")]
pub struct PyPlateau {
    optimizer: Option<Py<PyAny>>,
    counters: Counters,
    settings: Plateau,
    mode: Py<PyAny>,
    threshold_mode: Py<PyAny>,
    factor: Num,
    eps: Num,
    min_lrs: Py<PyAny>,
    /// Each group's `lr` after the last step (torch's `_last_lr`).
    last_lr: Vec<Py<PyAny>>,
    /// torch's own step, for the steps this one declines.
    fallback: Option<Py<PyAny>>,
}

fn num(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Num> {
    if value.is_instance_of::<PyInt>() {
        if let Ok(i) = value.extract::<i64>() {
            return Ok(Num::Int(i));
        }
    }
    value.extract::<f64>().map(Num::Float).map_err(|_| {
        PyTypeError::new_err(format!(
            "ReduceLROnPlateau: {name} must be a number, got {}",
            value.repr().map_or_else(|_| "?".into(), |r| r.to_string())
        ))
    })
}

fn to_py(py: Python<'_>, value: Num) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Num::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Num::Float(x) => PyFloat::new(py, x).into_any().unbind(),
    })
}

impl PyPlateau {
    fn rule(&mut self, py: Python<'_>) -> PyResult<()> {
        let (mode, threshold_mode) = (self.mode.bind(py), self.threshold_mode.bind(py));
        self.settings.rule = Rule::new(
            mode.eq("min")?,
            mode.eq("max")?,
            threshold_mode.eq("rel")?,
            threshold_mode.eq("abs")?,
        );
        Ok(())
    }

    /// `step(metrics)`: the counters advanced, the rates cut where torch's step cuts them,
    /// and `_last_lr` read back. Returns False, having changed nothing, where `metrics`, a
    /// rate or a setting is not a plain number or the groups do not match `min_lrs` (torch's
    /// step then raises or resets them); the caller then takes torch's step.
    fn advance(&mut self, metrics: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = metrics.py();
        let Ok(current) = metrics.extract::<f64>() else {
            return Ok(false); // torch's float(metrics) raises its own error
        };
        let Some(optimizer) = &self.optimizer else {
            return Ok(false);
        };
        let groups = optimizer
            .bind(py)
            .getattr(intern!(py, "param_groups"))?
            .cast_into::<PyList>()?;
        // A Tensor rate is cloned into _last_lr: torch's path.
        let Some(same) = self.float_rates(&groups)? else {
            return Ok(false);
        };
        let Some(step) = self.settings.observe(&self.counters, current) else {
            return Ok(false);
        };
        let cuts = matches!(step, Step::Cut(_));
        if cuts && !self.cut(&groups)? {
            return Ok(false);
        }
        let (Step::Count(next) | Step::Cut(next)) = step;
        self.counters = next;
        if cuts || !same {
            let key = intern!(py, "lr");
            self.last_lr = groups
                .iter()
                .map(|g| Ok(g.cast::<PyDict>()?.get_item(key)?.map(Bound::unbind)))
                .collect::<PyResult<Option<_>>>()?
                .unwrap_or_default();
        }
        Ok(true)
    }

    /// Whether every group's `lr` is a float (None if not), and whether they are the objects
    /// `_last_lr` holds: most steps leave the rates as they were, and `_last_lr` is then kept
    /// as it is.
    fn float_rates(&self, groups: &Bound<'_, PyList>) -> PyResult<Option<bool>> {
        let key = intern!(groups.py(), "lr");
        let mut same = groups.len() == self.last_lr.len();
        for (g, group) in groups.iter().enumerate() {
            match group.cast::<PyDict>()?.get_item(key)? {
                Some(rate) if rate.is_exact_instance_of::<PyFloat>() => {
                    same = same && rate.is(&self.last_lr[g]);
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(same))
    }

    /// torch's `_reduce_lr`: each group's rate becomes `max(lr · factor, min_lrs[g])` where
    /// that lowers it by more than `eps`. Returns False, having written nothing, where
    /// `min_lrs` is not a list of plain numbers, one per group.
    fn cut(&self, groups: &Bound<'_, PyList>) -> PyResult<bool> {
        let py = groups.py();
        let Ok(floors) = self.min_lrs.bind(py).cast::<PyList>() else {
            return Ok(false);
        };
        let floors: Option<Vec<(Bound<'_, PyAny>, f64)>> = floors
            .iter()
            .map(|f| f.extract::<f64>().ok().map(|x| (f, x)))
            .collect();
        let Some(floors) = floors.filter(|f| f.len() == groups.len()) else {
            return Ok(false);
        };
        let (factor, eps) = (self.factor.value(), self.eps.value());
        let key = intern!(py, "lr");
        for (group, (floor, floor_value)) in groups.iter().zip(floors) {
            let group = group.cast_into::<PyDict>()?;
            let rate = group.get_item(key)?;
            let old = rate
                .ok_or_else(|| PyKeyError::new_err("lr"))?
                .extract::<f64>()?;
            let scaled = old * factor;
            // Python's max() keeps the first of equals, and the floor object itself when
            // larger.
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
        let mut plateau = PyPlateau {
            optimizer,
            counters: Counters {
                last_epoch: Num::Int(0),
                best: Num::Float(f64::INFINITY),
                num_bad_epochs: Num::Int(0),
                cooldown_counter: Num::Int(0),
            },
            settings: Plateau {
                rule: Rule::MinRel,
                threshold: Num::Float(1e-4),
                patience: Num::Int(10),
                cooldown: Num::Int(0),
            },
            mode: intern!(py, "min").clone().into_any().unbind(),
            threshold_mode: intern!(py, "rel").clone().into_any().unbind(),
            factor: Num::Float(0.1),
            eps: Num::Float(1e-8),
            min_lrs: PyList::empty(py).into_any().unbind(),
            last_lr: Vec::new(),
            fallback: None,
        };
        for (name, value) in FIELDS.iter().zip(state.iter()) {
            plateau.set(py, name, &value)?;
        }
        Ok(plateau)
    }

    /// `scheduler.step(metrics)`, or torch's step (`fallback`) where this one declines.
    #[pyo3(signature = (*args, **kwargs))]
    fn step(
        slf: &Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let py = slf.py();
        if args.len() == 1 && kwargs.is_none_or(|k| k.is_empty()) {
            // Not re-entrant: a `__float__` of `metrics` that steps this scheduler again finds
            // it borrowed and takes torch's path.
            if let Ok(mut plateau) = slf.try_borrow_mut() {
                if plateau.advance(&args.get_item(0)?)? {
                    return Ok(());
                }
            }
        }
        // torch's step reads and writes this object's attributes: no borrow is held.
        let fallback = slf.borrow().fallback.as_ref().map(|f| f.clone_ref(py));
        let fallback =
            fallback.ok_or_else(|| PyAttributeError::new_err("Plateau.step: unbound"))?;
        fallback.call(py, args, kwargs)?;
        Ok(())
    }

    /// Sets torch's own step, called where `step` declines.
    fn bind(&mut self, fallback: Py<PyAny>) {
        self.fallback = Some(fallback);
    }

    /// Attribute `name` (one of torch's names held here).
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let c = &self.counters;
        match name {
            "optimizer" => Ok(self
                .optimizer
                .as_ref()
                .map_or_else(|| py.None(), |o| o.clone_ref(py))),
            "last_epoch" => to_py(py, c.last_epoch),
            "best" => to_py(py, c.best),
            "num_bad_epochs" => to_py(py, c.num_bad_epochs),
            "cooldown_counter" => to_py(py, c.cooldown_counter),
            "patience" => to_py(py, self.settings.patience),
            "cooldown" => to_py(py, self.settings.cooldown),
            "threshold" => to_py(py, self.settings.threshold),
            "mode" => Ok(self.mode.clone_ref(py)),
            "threshold_mode" => Ok(self.threshold_mode.clone_ref(py)),
            "factor" => to_py(py, self.factor),
            "eps" => to_py(py, self.eps),
            "min_lrs" => Ok(self.min_lrs.clone_ref(py)),
            "_last_lr" => Ok(PyList::new(py, &self.last_lr)?.into_any().unbind()),
            _ => Err(PyAttributeError::new_err(name.to_owned())),
        }
    }

    /// Sets attribute `name`: numbers keep their type (int or float); `min_lrs` is kept as
    /// the object given (torch's steps see changes made to it in place); `_last_lr` takes
    /// any sequence.
    fn set(&mut self, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let c = &mut self.counters;
        match name {
            "optimizer" => self.optimizer = Some(value.clone().unbind()),
            "last_epoch" => c.last_epoch = num(name, value)?,
            "best" => c.best = num(name, value)?,
            "num_bad_epochs" => c.num_bad_epochs = num(name, value)?,
            "cooldown_counter" => c.cooldown_counter = num(name, value)?,
            "patience" => self.settings.patience = num(name, value)?,
            "cooldown" => self.settings.cooldown = num(name, value)?,
            "threshold" => self.settings.threshold = num(name, value)?,
            "factor" => self.factor = num(name, value)?,
            "eps" => self.eps = num(name, value)?,
            "min_lrs" => self.min_lrs = value.clone().unbind(),
            "mode" | "threshold_mode" => {
                let slot = if name == "mode" {
                    &mut self.mode
                } else {
                    &mut self.threshold_mode
                };
                *slot = value.clone().unbind();
                self.rule(py)?;
            }
            "_last_lr" => {
                self.last_lr = value
                    .try_iter()?
                    .map(|v| v.map(Bound::unbind))
                    .collect::<PyResult<_>>()?
            }
            _ => return Err(PyAttributeError::new_err(name.to_owned())),
        }
        Ok(())
    }

    /// The names a state dict saves.
    #[staticmethod]
    fn fields() -> [&'static str; 13] {
        FIELDS
    }

    /// Pickles (and copies) as its optimizer and attributes; the copy's scheduler binds its
    /// own fallback.
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
        visit.call(&self.fallback)?;
        for rate in &self.last_lr {
            visit.call(rate)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.fallback = None;
        self.optimizer = None;
    }
}
