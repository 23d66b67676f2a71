//! The torch drop-ins' `step` method, written against CPython's C API: one of the binding
//! layer's two `unsafe` modules (with `memory.rs`; the core's one is the CPU dispatch in
//! `simd.rs`).
#![allow(unsafe_code)]

use pyo3::ffi;
use pyo3::intern;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::stepper::PyStepper;

/// `scheduler.step(*args, **kwargs)` for the torch drop-ins, as a method written in Rust: a
/// `step()` or `step(None)` is taken by the `Stepper` in the scheduler's `_rust_step` (where
/// it is not None and does not decline); any other call, or a declined one, goes to the
/// scheduler's Python `_step(*args, **kwargs)`.
///
/// A Python `step` method costs a frame and three attribute lookups, about 0.13 µs of a
/// ~0.6 µs step, so the drop-ins' `step` is this method descriptor instead. CPython calls a
/// method descriptor with `self` directly, neither binding a method nor building a frame; it
/// is registered on `object` so that it accepts the Python scheduler classes as `self`.
pub fn step_method(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    // CPython keeps the pointer for the descriptor's lifetime, hence a leaked definition (one
    // per module initialisation).
    let def = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"step".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: step_trampoline,
        },
        // METH_FASTCALL needs the 3.10 limited API; a call without arguments passes the
        // shared empty tuple, so this costs no allocation.
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: c"step($self, /, *args, **kwargs)\n--\n\nAdvances the scheduler one step: \
                  torch's `step()`, taken in one Rust call where it can be."
            .as_ptr(),
    }));
    // SAFETY: `def` lives forever and `PyBaseObject_Type` is a static type object.
    unsafe {
        let descriptor =
            ffi::PyDescr_NewMethod(std::ptr::addr_of_mut!(ffi::PyBaseObject_Type), def);
        Bound::from_owned_ptr_or_err(py, descriptor)
    }
}

unsafe extern "C" fn step_trampoline(
    slf: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // `attach` (not `assume_attached`) so that PyO3 knows the thread is attached: it then
    // releases references at once rather than queueing them.
    Python::attach(|py| {
        // SAFETY: CPython calls a method with `self` and the argument tuple borrowed and
        // non-null, and `kwargs` a borrowed dict or null.
        let (slf, args, kwargs) = unsafe {
            (
                Bound::from_borrowed_ptr(py, slf),
                Bound::from_borrowed_ptr(py, args).cast_into_unchecked::<PyTuple>(),
                Bound::from_borrowed_ptr_or_opt(py, kwargs)
                    .map(|k| k.cast_into_unchecked::<PyDict>()),
            )
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            step(&slf, &args, kwargs.as_ref())
        }));
        let result = result.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic in Rust code".to_owned());
            Err(PanicException::new_err(message))
        });
        match result {
            Ok(value) => value.into_ptr(),
            Err(err) => {
                err.restore(py);
                std::ptr::null_mut()
            }
        }
    })
}

fn step<'py>(
    slf: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    // step() or step(None): every drop-in's argument defaults to None. Keywords go to `_step`,
    // whose signature accepts or rejects them as torch's does.
    let plain = args.len() <= 1 && args.iter().all(|a| a.is_none());
    if plain && kwargs.is_none_or(|k| k.is_empty()) {
        let state = slf
            .getattr(intern!(py, "__dict__"))?
            .cast_into::<PyDict>()?;
        if let Some(stepper) = state.get_item(intern!(py, "_rust_step"))? {
            if let Ok(stepper) = stepper.cast::<PyStepper>() {
                if stepper.get().advance(&state)? {
                    return Ok(py.None().into_bound(py));
                }
            }
        }
    }
    slf.call_method(intern!(py, "_step"), args, kwargs)
}
