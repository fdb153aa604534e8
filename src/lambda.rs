//! The AWS Lambda function (issue: Lambda triggers). Not built yet: `invoke` reports that.

use std::path::Path;
use std::process::ExitCode;

pub fn invoke_file(_event: &Path) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the Lambda handler is not implemented in this build")
}
