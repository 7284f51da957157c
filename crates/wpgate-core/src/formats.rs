//! Machine formats of a [`Report`] for CI systems: SARIF 2.1.0, GitHub workflow commands,
//! JUnit XML. (Stub: filled by the CI-and-ecosystem work.)

use crate::diag::Report;
use crate::error::Error;
use crate::render::Format;

/// Renders `report` in a CI format.
pub fn render(_report: &Report, format: Format) -> Result<String, Error> {
    Err(Error::Usage(format!(
        "--format {format:?} is not implemented yet"
    )))
}
