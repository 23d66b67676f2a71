//! The one error type of the core. Every message names the function, the parameter, the rule and
//! the value given, so the Python layer can pass it on unchanged.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A value breaks a rule: `cosine(): steps must be a positive integer, got 0`.
    Value {
        func: String,
        param: String,
        rule: String,
        got: String,
    },
    /// An argument of the wrong kind: `cosine(): start must be a number, got 'a'`,
    /// or a call that does not fit the signature.
    Type { func: String, message: String },
    /// Text that is not an expression of the schedule language.
    Parse { position: usize, message: String },
    /// Storage too large to allocate: `values(): cannot allocate memory for 10 x 5 float64
    /// values`.
    Memory { func: String, requested: String },
    /// A long computation given up on request (Ctrl-C, seen by the binding).
    Interrupted { func: String },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn value(func: &str, param: &str, rule: impl Into<String>, got: impl Into<String>) -> Self {
        Error::Value {
            func: func.to_owned(),
            param: param.to_owned(),
            rule: rule.into(),
            got: got.into(),
        }
    }

    pub fn memory(func: &str, requested: impl Into<String>) -> Self {
        Error::Memory {
            func: func.to_owned(),
            requested: requested.into(),
        }
    }

    pub fn type_(func: &str, message: impl Into<String>) -> Self {
        Error::Type {
            func: func.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Value {
                func,
                param,
                rule,
                got,
            } => write!(f, "{func}(): {param} must be {rule}, got {got}"),
            Error::Type { func, message } => write!(f, "{func}(): {message}"),
            Error::Parse { position, message } => {
                write!(f, "parse(): {message} at position {position}")
            }
            Error::Memory { func, requested } => {
                write!(f, "{func}(): cannot allocate memory for {requested}")
            }
            Error::Interrupted { func } => write!(f, "{func}(): interrupted"),
        }
    }
}

impl std::error::Error for Error {}
