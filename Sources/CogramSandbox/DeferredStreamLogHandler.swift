import Logging

/// The server's log handler: `StreamLogHandler` on standard error, with the metadata formatted only when a
/// message is logged.
///
/// Hummingbird sets a request id in the metadata of every request's logger, and `StreamLogHandler` formats its
/// whole metadata on each change: a few percent of the server's CPU per request, for a logger that at
/// `.warning` almost never writes anything. What is written is the same.
struct DeferredStreamLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(label: String) {
        stream = StreamLogHandler.standardError(label: label)
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var stream = stream
        stream.metadata = metadata
        stream.log(event: event)
    }
}
