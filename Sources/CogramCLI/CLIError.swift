/// The one error type of the commands: swift-argument-parser prints it as `Error: message` and exits 1. The
/// message names the thing that is wrong and how to fix it.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
