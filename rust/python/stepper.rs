//! The per-step work of the torch drop-ins (`lrcore.torch`): one Rust call computes a step's
//! values, writes them into the optimizer's param groups and advances the scheduler's counters.
//! A torch `step()` costs microseconds of Python attribute traffic; this keeps it to one call.

use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::schedule::{check_step, PySchedule};
use crate::schedule::Batch;

/// Where a step's values come from.
enum Rates {
    /// One schedule per (key, param group): the value at step `t`.
    Schedules(Batch),
    /// torch LambdaLR: `base * f(t)` with the user's functions.
    Lambdas { bases: Vec<f64>, fns: Functions },
    /// torch MultiplicativeLR: `base * f(1) * … * f(t)`. The running product of the last step
    /// computed is kept, so a step multiplies once.
    Products {
        bases: Vec<f64>,
        fns: Functions,
        running: Mutex<Running>,
    },
}

/// The running products; a panic elsewhere cannot leave them half-written, so a poisoned lock
/// is still good.
fn lock(running: &Mutex<Running>) -> MutexGuard<'_, Running> {
    running.lock().unwrap_or_else(PoisonError::into_inner)
}

fn functions(func: &str, bases: &[f64], fns: Vec<Py<PyAny>>) -> PyResult<Functions> {
    if fns.len() != bases.len() {
        return Err(PyValueError::new_err(format!(
            "Stepper.{func}(): {} bases for {} functions",
            bases.len(),
            fns.len()
        )));
    }
    Ok(Functions::new(fns))
}

/// `f(1) * … * f(epoch)` for each group's function.
#[derive(Clone)]
struct Running {
    epoch: i64,
    products: Vec<f64>,
}

/// One function per param group. A function given for several groups (torch's
/// `lr_lambda=f` with many groups) is called once per step, not once per group.
struct Functions {
    fns: Vec<Py<PyAny>>,
    /// For each group, the first group with the same function.
    first: Vec<usize>,
}

impl Functions {
    fn new(fns: Vec<Py<PyAny>>) -> Self {
        let first = (0..fns.len())
            .map(|g| (0..g).find(|&h| fns[h].is(&fns[g])).unwrap_or(g))
            .collect();
        Functions { fns, first }
    }

    /// Every group's `f(t)`.
    fn at(&self, py: Python<'_>, t: i64) -> PyResult<Vec<f64>> {
        let mut out: Vec<f64> = Vec::with_capacity(self.fns.len());
        for (g, f) in self.fns.iter().enumerate() {
            let value = match self.first[g] {
                h if h < g => out[h],
                _ => f.call1(py, (t,))?.extract(py)?,
            };
            out.push(value);
        }
        Ok(out)
    }
}

/// Writes a scheduler's values into its optimizer's param groups. With G groups and keys
/// `(k0, k1, …)`, value `j·G + g` goes into `groups[g][kj]` (for `"betas"`, into the tuple's
/// first element), or value i into `groups[g][kj]` for `targets[i] = (g, j)`. `state` is the
/// scheduler's `__dict__`: it holds `optimizer`, `last_epoch`, `_step_count` and `_last_lr`,
/// under torch's names.
#[pyclass(frozen, module = "lrcore._core", name = "Stepper")]
pub struct PyStepper {
    rates: Rates,
    keys: Vec<(Py<PyString>, bool)>,
    targets: Option<Vec<(usize, usize)>>,
    /// The last step `advance` may take (OneCycleLR raises past it, on the slow path).
    limit: Option<i64>,
    /// Whether `step()` counts `_step_count` (CosineAnnealingWarmRestarts does not, as in torch).
    counts_steps: bool,
}

fn stepper(
    rates: Rates,
    keys: Vec<Bound<'_, PyString>>,
    limit: Option<i64>,
    counts: bool,
    targets: Option<Vec<(usize, usize)>>,
) -> PyStepper {
    let keys = keys
        .into_iter()
        .map(|k| {
            let betas = k.to_cow().is_ok_and(|k| k == "betas");
            (k.unbind(), betas)
        })
        .collect();
    PyStepper {
        rates,
        keys,
        targets,
        limit,
        counts_steps: counts,
    }
}

impl PyStepper {
    /// A whole `scheduler.step()`: the next step's values written, `last_epoch` and
    /// `_step_count` advanced, `_last_lr` set. Returns False, having changed nothing, where
    /// torch's step does more than that (its first step checks the call order; past `limit`
    /// it raises) or an entry is not a float; the caller then takes its general path. For the
    /// drop-ins' layout only: no `targets`, and key 0 the learning rate of every group, whose
    /// values become `_last_lr`.
    pub fn advance(&self, state: &Bound<'_, PyDict>) -> PyResult<bool> {
        let py = state.py();
        if self.targets.is_some() {
            return Ok(false);
        }
        // Counters of other types (a float last_epoch after the deprecated step(2.5)) and
        // anything past the checks below are torch's general path.
        let int = |key: &Bound<'_, PyString>| -> PyResult<Option<i64>> {
            Ok(state.get_item(key)?.and_then(|v| v.extract::<i64>().ok()))
        };
        let (count_key, epoch_key) = (intern!(py, "_step_count"), intern!(py, "last_epoch"));
        let (Some(count), Some(epoch)) = (int(count_key)?, int(epoch_key)?) else {
            return Ok(false);
        };
        let t = epoch + 1;
        let first = self.counts_steps && count == 1;
        if first || t < 0 || self.limit.is_some_and(|limit| t > limit) {
            return Ok(false);
        }
        let groups = Self::groups(state)?;
        let per_key = self.count() / self.keys.len();
        if per_key != groups.len() {
            return Ok(false);
        }
        let entries = self.entries(&groups)?;
        if entries.iter().any(Option::is_none) {
            return Ok(false);
        }
        let values = self.compute(py, t as f64)?;
        for (entry, &value) in entries.iter().flatten().zip(&values) {
            self.put(entry, value)?;
        }
        state.set_item(epoch_key, t)?;
        if self.counts_steps {
            state.set_item(count_key, count + 1)?;
        }
        state.set_item(intern!(py, "_last_lr"), &values[..per_key])?;
        Ok(true)
    }

    /// How many values a step has.
    fn count(&self) -> usize {
        match &self.rates {
            Rates::Schedules(batch) => batch.items().len(),
            Rates::Lambdas { bases, .. } | Rates::Products { bases, .. } => bases.len(),
        }
    }

    /// The values of step `t`, every key's for every group.
    fn compute(&self, py: Python<'_>, t: f64) -> PyResult<Vec<f64>> {
        match &self.rates {
            Rates::Schedules(batch) => Ok(batch.items().iter().map(|s| s.value(t)).collect()),
            Rates::Lambdas { bases, fns } => {
                let factors = fns.at(py, t as i64)?;
                Ok(bases.iter().zip(factors).map(|(b, f)| b * f).collect())
            }
            Rates::Products {
                bases,
                fns,
                running,
            } => {
                // Not locked while the user's functions run: they may release the GIL.
                let Running {
                    mut epoch,
                    mut products,
                } = lock(running).clone();
                let t = t as i64;
                if products.len() != bases.len() || t < epoch {
                    (products, epoch) = (vec![1.0; bases.len()], 0);
                }
                while epoch < t {
                    epoch += 1;
                    for (p, f) in products.iter_mut().zip(fns.at(py, epoch)?) {
                        *p *= f;
                    }
                }
                let values = bases.iter().zip(&products).map(|(b, p)| b * p).collect();
                *lock(running) = Running { epoch, products };
                Ok(values)
            }
        }
    }

    fn groups<'py>(state: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyList>> {
        let py = state.py();
        let optimizer = state
            .get_item(intern!(py, "optimizer"))?
            .ok_or_else(|| pyo3::exceptions::PyAttributeError::new_err("optimizer"))?;
        Ok(optimizer
            .getattr(intern!(py, "param_groups"))?
            .cast_into::<PyList>()?)
    }

    /// The entry each value replaces; None where it is neither a float nor a betas tuple (a
    /// Tensor learning rate), or missing.
    fn entries<'py>(&self, groups: &Bound<'py, PyList>) -> PyResult<Vec<Option<Entry<'py>>>> {
        let count = self.count();
        let per_key = count / self.keys.len();
        let mut entries = Vec::with_capacity(count);
        for i in 0..count {
            let (g, j) = match &self.targets {
                Some(targets) => targets[i],
                None => (i % per_key, i / per_key),
            };
            let (key, betas) = &self.keys[j];
            let entry = match groups.get_item(g) {
                Ok(group) => {
                    let group = group.cast_into::<PyDict>()?;
                    let old = group.get_item(key.bind(groups.py()))?;
                    old.filter(|old| {
                        if *betas {
                            old.is_instance_of::<PyTuple>()
                        } else {
                            old.is_exact_instance_of::<PyFloat>()
                        }
                    })
                    .map(|old| Entry { group, key: j, old })
                }
                Err(_) => None,
            };
            entries.push(entry);
        }
        Ok(entries)
    }

    fn put(&self, entry: &Entry<'_>, value: f64) -> PyResult<()> {
        let Entry { group, key, old } = entry;
        let (key, betas) = &self.keys[*key];
        let py = group.py();
        if *betas {
            let old = old.cast::<PyTuple>()?;
            let mut replaced = vec![PyFloat::new(py, value).into_any()];
            replaced.extend(old.iter().skip(1));
            group.set_item(key.bind(py), PyTuple::new(py, replaced)?)
        } else {
            group.set_item(key.bind(py), value)
        }
    }
}

/// A param-group entry that a value replaces: `group[keys[key]]`, now `old`.
struct Entry<'py> {
    group: Bound<'py, PyDict>,
    key: usize,
    old: Bound<'py, PyAny>,
}

#[pymethods]
impl PyStepper {
    /// Values from a batch of schedules, as `Schedule.values_at` gives them: one per (key,
    /// group), or one per `targets` entry `(group, key index)`.
    #[staticmethod]
    #[pyo3(signature = (rates, keys, limit = None, counts_steps = true, targets = None))]
    fn schedules(
        rates: &PySchedule,
        keys: Vec<Bound<'_, PyString>>,
        limit: Option<i64>,
        counts_steps: bool,
        targets: Option<Vec<(usize, usize)>>,
    ) -> PyResult<Self> {
        if let Some(targets) = &targets {
            let fits = targets.len() == rates.inner.items().len()
                && targets.iter().all(|&(_, j)| j < keys.len());
            if !fits {
                return Err(PyValueError::new_err(
                    "Stepper.schedules(): targets must give (group, key index) for each schedule",
                ));
            }
        }
        let count = rates.inner.items().len();
        if keys.is_empty() || (targets.is_none() && count % keys.len() != 0) {
            return Err(PyValueError::new_err(format!(
                "Stepper.schedules(): {count} schedules do not divide among {} keys",
                keys.len()
            )));
        }
        let rates = Rates::Schedules(rates.inner.clone());
        Ok(stepper(rates, keys, limit, counts_steps, targets))
    }

    /// Learning rates `bases[g] * fns[g](t)` (torch LambdaLR).
    #[staticmethod]
    fn lambdas(py: Python<'_>, bases: Vec<f64>, fns: Vec<Py<PyAny>>) -> PyResult<Self> {
        let fns = functions("lambdas", &bases, fns)?;
        let keys = vec![intern!(py, "lr").clone()];
        Ok(stepper(
            Rates::Lambdas { bases, fns },
            keys,
            None,
            true,
            None,
        ))
    }

    /// Learning rates `bases[g] * fns[g](1) * … * fns[g](t)` (torch MultiplicativeLR),
    /// continuing from `products` at step `epoch` where a loaded state gives them.
    #[staticmethod]
    #[pyo3(signature = (bases, fns, epoch = 0, products = None))]
    fn products(
        py: Python<'_>,
        bases: Vec<f64>,
        fns: Vec<Py<PyAny>>,
        epoch: i64,
        products: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let fns = functions("products", &bases, fns)?;
        let keys = vec![intern!(py, "lr").clone()];
        let running = Mutex::new(Running {
            epoch,
            products: products.unwrap_or_default(),
        });
        let rates = Rates::Products {
            bases,
            fns,
            running,
        };
        Ok(stepper(rates, keys, None, true, None))
    }

    /// `(epoch, products)`: the running products of the last step a MultiplicativeLR
    /// computed (what its state dict saves); None for the other kinds.
    #[getter]
    fn running_product(&self) -> Option<(i64, Vec<f64>)> {
        match &self.rates {
            Rates::Products { running, .. } => {
                let Running { epoch, products } = lock(running).clone();
                Some((epoch, products))
            }
            _ => None,
        }
    }

    /// The values of step `t`: every key's for every group.
    fn values_at(&self, py: Python<'_>, t: f64) -> PyResult<Vec<f64>> {
        self.compute(py, check_step(t)?)
    }

    /// Writes step `t`'s values where the entries are floats (or betas tuples). Returns every
    /// value and whether every entry was written; the others (a Tensor learning rate) are left
    /// to the caller.
    fn write(&self, t: f64, state: &Bound<'_, PyDict>) -> PyResult<(Vec<f64>, bool)> {
        let values = self.compute(state.py(), check_step(t)?)?;
        let groups = Self::groups(state)?;
        let mut all_written = true;
        for (entry, &value) in self.entries(&groups)?.iter().zip(&values) {
            match entry {
                Some(entry) => self.put(entry, value)?,
                None => all_written = false,
            }
        }
        Ok((values, all_written))
    }

    /// Pickles (and copies) as the call that built it.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let class = py.get_type::<PyStepper>();
        let keys: Vec<&Py<PyString>> = self.keys.iter().map(|(k, _)| k).collect();
        let (constructor, args) = match &self.rates {
            Rates::Schedules(batch) => {
                let rates = Bound::new(
                    py,
                    PySchedule {
                        inner: batch.clone(),
                    },
                )?;
                let args = (rates, keys, self.limit, self.counts_steps, &self.targets);
                let args = args.into_pyobject(py)?;
                ("schedules", args)
            }
            Rates::Lambdas { bases, fns } => ("lambdas", (bases, &fns.fns).into_pyobject(py)?),
            Rates::Products {
                bases,
                fns,
                running,
            } => {
                let Running { epoch, products } = lock(running).clone();
                let args = (bases, &fns.fns, epoch, products).into_pyobject(py)?;
                ("products", args)
            }
        };
        Ok((class.getattr(constructor)?, args))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Rates::Lambdas { fns, .. } | Rates::Products { fns, .. } = &self.rates {
            for f in &fns.fns {
                visit.call(f)?;
            }
        }
        Ok(())
    }
}
