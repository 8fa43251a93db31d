/// The pages of a list endpoint, fetched one at a time as the sequence is iterated.
///
/// Iteration stops after a page with fewer items than the page size, an empty page, or once
/// `page · page_size ≥ total`, whichever comes first; empty pages are not yielded.
public struct PageSequence<Item: Codable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = Page<Item>

    let pageSize: Int
    let fetch: @Sendable (_ page: Int) async throws -> Page<Item>

    /// `fetch` loads one page (1-based) with `pageSize` items.
    public init(pageSize: Int, fetch: @escaping @Sendable (_ page: Int) async throws -> Page<Item>) {
        self.pageSize = pageSize
        self.fetch = fetch
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pageSize: pageSize, fetch: fetch)
    }

    /// Every item of every page.
    public func allItems() async throws -> [Item] {
        var items: [Item] = []
        for try await page in self { items += page.items }
        return items
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pageSize: Int
        let fetch: @Sendable (Int) async throws -> Page<Item>
        var nextPage = 1
        var finished = false

        /// A bound on pages, against a server that never says it is done.
        static var maxPages: Int { 100_000 }

        public mutating func next() async throws -> Page<Item>? {
            guard !finished else { return nil }
            let page = try await fetch(nextPage)
            guard !page.items.isEmpty else {
                finished = true
                return nil
            }
            // The server may cap the page size below what was asked; count with what it used.
            let size = page.pageSize > 0 ? Swift.min(page.pageSize, pageSize) : pageSize
            if page.items.count < size || nextPage * size >= page.total || nextPage >= Self.maxPages {
                finished = true
            }
            nextPage += 1
            return page
        }
    }
}
