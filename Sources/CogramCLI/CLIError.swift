import CogramCore

/// The one error type of the commands; `Cogramctl.run` prints it as `Error: message` and exits 1. The message
/// names the thing that is wrong and how to fix it; what it quotes from outside (a path, a name, an option value,
/// a server's text) is under the terminal rule, inserted through `TerminalMessage`.
struct CLIError: EscapedErrorDescription {
    var message: TerminalMessage
    var description: String { message.text }
    init(_ message: TerminalMessage) { self.message = message }

    /// Another module's error as a command error (see `TerminalMessage(error:)`).
    init(wrapping error: any Error) { message = TerminalMessage(error: error) }
}
