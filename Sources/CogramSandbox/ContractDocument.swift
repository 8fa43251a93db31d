import Foundation

/// The API contract cogramctl ships (`schemas/cogram-api.v1.openapi.yaml`, bundled as the sandbox's resource),
/// for `cogramctl doctor` to compare with a live server's document.
public enum ContractDocument {
    /// The YAML text; nil only when the resource bundle is missing.
    public static var openAPIYAML: Data? { SandboxResources.openAPI }
}
