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
    ///
    /// The first page's `total` tells how many pages there are; pages 2…n are then fetched `concurrency` at a
    /// time (under the client's shared rate limiter) and joined in page order, so that a list of 2,000 projects
    /// costs one round trip plus a few, not 20 in a row. The pages requested are exactly those the sequential
    /// iteration would request. Should the last page come back full with a `total` that grew meanwhile, the
    /// rest is read one page at a time, as the sequence does.
    public func allItems(concurrency: Int = 8) async throws -> [Item] {
        let first = try await fetch(1)
        guard !first.items.isEmpty else { return [] }
        let size = effectiveSize(first)
        var items = first.items
        guard first.items.count >= size, size < first.total else { return items }
        let lastPage = Swift.min((first.total + size - 1) / size, AsyncIterator.maxPages)
        guard lastPage >= 2 else { return items }
        var pages: [Int: Page<Item>] = [:]
        try await withThrowingTaskGroup(of: (Int, Page<Item>).self) { group in
            var next = 2
            for _ in 0..<Swift.max(1, concurrency) where next <= lastPage {
                let number = next
                group.addTask { (number, try await fetch(number)) }
                next += 1
            }
            while let (number, page) = try await group.next() {
                pages[number] = page
                if next <= lastPage {
                    let number = next
                    group.addTask { (number, try await fetch(number)) }
                    next += 1
                }
            }
        }
        for number in 2...lastPage { items += pages[number]?.items ?? [] }
        // Continue sequentially only if the list grew past what the first page announced.
        var last = pages[lastPage]
        var number = lastPage
        while let page = last, page.items.count >= effectiveSize(page), number * size < page.total,
              number < AsyncIterator.maxPages {
            number += 1
            let more = try await fetch(number)
            guard !more.items.isEmpty else { break }
            items += more.items
            last = more
        }
        return items
    }

    private func effectiveSize(_ page: Page<Item>) -> Int { page.effectiveSize(requested: pageSize) }

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
            let size = page.effectiveSize(requested: pageSize)
            if page.items.count < size || nextPage * size >= page.total || nextPage >= Self.maxPages {
                finished = true
            }
            nextPage += 1
            return page
        }
    }
}

extension Page {
    /// The page size the server used: it may cap it below what was asked, and 0 means it did not say.
    func effectiveSize(requested: Int) -> Int {
        pageSize > 0 ? Swift.min(pageSize, requested) : requested
    }
}
