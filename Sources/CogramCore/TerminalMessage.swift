/// A message for the terminal (an error, a warning, a status line) whose own words and line breaks are kept and
/// whose inserted values pass the terminal rule of `OutputEscaping`: a path, a name, an option value or a server's
/// text cannot add a line (and with it a `::error` workflow command), drive the terminal or reorder what is read.
/// The escaping happens where a value is inserted, the one place that knows template from value; printing then
/// writes `text` as it is.
public struct TerminalMessage: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// The message, ready to print.
    public private(set) var text: String

    public var description: String { text }

    /// Text a renderer has already put under the terminal rule (or that holds nothing from outside).
    public init(rendered: String) { text = rendered }

    /// Each line under the terminal rule, the line breaks kept: for text whose line breaks are its own (an
    /// `EscapedErrorDescription`), never for text that may hold a line break from outside.
    public init(lines: String) {
        text = lines.split(separator: "\n", omittingEmptySubsequences: false)
            .map { OutputEscaping.terminal(String($0)) }
            .joined(separator: "\n")
    }

    public init(stringLiteral value: String) { text = value }

    public init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        /// Any value: its description under the terminal rule (line breaks included); an error that has escaped
        /// what it quotes keeps its own line breaks.
        public mutating func appendInterpolation(_ value: some Any) {
            if let error = value as? any EscapedErrorDescription {
                text += TerminalMessage(lines: error.description).text
            } else {
                text += OutputEscaping.terminal(String(describing: value))
            }
        }

        /// Another message: already escaped, inserted as it is.
        public mutating func appendInterpolation(_ message: TerminalMessage) { text += message.text }

        /// Text already under the terminal rule (a renderer's output).
        public mutating func appendInterpolation(rendered: String) { text += rendered }
    }

    /// An error as a message: an `EscapedErrorDescription` keeps its lines; any other error's description is
    /// outside text, all of it on one line under the terminal rule.
    public init(error: any Error) {
        if let error = error as? any EscapedErrorDescription {
            self.init(lines: error.description)
        } else {
            self.init(rendered: OutputEscaping.terminal(String(describing: error)))
        }
    }

    public static func + (lhs: TerminalMessage, rhs: TerminalMessage) -> TerminalMessage {
        TerminalMessage(rendered: lhs.text + rhs.text)
    }

    public static func += (lhs: inout TerminalMessage, rhs: TerminalMessage) {
        lhs.text += rhs.text
    }
}

/// An error whose description has put every value it quotes under the terminal rule (or through `SafeText`), so
/// that the line breaks left in it are its own and may be kept when it is printed.
public protocol EscapedErrorDescription: Error, CustomStringConvertible {}
