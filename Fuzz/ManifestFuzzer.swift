// libFuzzer entry point for the manifest loader. Built by scripts/fuzz.sh together with the CogramManifest
// sources (not through SwiftPM), so the module's internals are visible and the main build is untouched.

/// Loads the input as one manifest and renders every diagnostic, so that the composer, the decoder, the
/// cross-file checks and the renderer (source lines, carets, control characters) all see hostile bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let source = SourceFile(path: "fuzz.yaml", bytes: bytes)
    // Inputs are at most 64 KiB (-max_len): a byte budget for aliases of 64 KiB lets the fuzzer reach that limit
    // with what it can write, as a 1 MB scalar aliased thousands of times reaches the default one.
    var limits = LoaderLimits.default
    limits.maxAliasExpansionBytes = 64 << 10
    let result = ManifestLoader(limits: limits).load(sources: [source])
    let rendered = DiagnosticRenderer(sources: result.sources, color: true).render(result.diagnostics)
    // Invariants every input must keep: an invalid load reports an error, and every error has a location
    // inside the file (line and column are 1-based).
    if !result.isValid {
        precondition(result.diagnostics.hasErrors, "invalid result without an error")
    }
    for diagnostic in result.diagnostics {
        if let location = diagnostic.location {
            precondition(location.line >= 1 && location.column >= 1, "diagnostic outside the file: \(diagnostic)")
        }
        _ = DiagnosticRenderer.githubAnnotation(diagnostic)
    }
    precondition(result.diagnostics.isEmpty || !rendered.isEmpty, "diagnostics rendered as nothing")
    return 0
}
