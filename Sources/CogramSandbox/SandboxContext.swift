import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the connection, which fault injection may close.
struct SandboxContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
