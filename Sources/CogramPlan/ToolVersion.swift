/// cogramctl's version: `cogramctl --version`, the `tool_version` of saved plans, and the User-Agent's
/// `cogramctl/<version>`. The release script reads it from `cogramctl --version`.
public let cogramctlVersion = "0.1.0"
