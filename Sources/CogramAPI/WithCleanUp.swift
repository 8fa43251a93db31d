/// Runs `body`, then `cleanUp` whether `body` returned or threw. An error of `body` wins over one of `cleanUp`:
/// the first failure is the one the user needs to see.
public func withCleanUp<T>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> T,
    cleanUp: () async throws -> Void
) async throws -> T {
    let result: Result<T, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    do {
        try await cleanUp()
    } catch {
        if case .success = result { throw error }
    }
    return try result.get()
}
