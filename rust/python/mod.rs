//! The binding layer: the only code that knows about Python. It converts arguments, releases
//! the GIL around evaluation and hands results to numpy without copying.

mod convert;
mod memory;
mod schedule;
mod search;

use pyo3::pymodule;

#[pymodule(name = "_core")]
mod core_module {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::schedule::{build, from_json, parse, signature, PySchedule};
    #[pymodule_export]
    use super::search::{check_distribution, max_qmc_dims, PySearchSpace};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
