/// The pages of a list endpoint, fetched one at a time as the sequence is iterated.
///
/// Iteration stops after an empty page; after a page once the distinct items seen reach the `total` the server
/// reports; without a total, after a page whose `has_more` is false or whose `next` is null; without either,
/// after a page with fewer items than the page size (the one the server reports, if smaller than the one asked
/// for). A page that brings no item not seen before also ends it (a server that ignores `page`). Empty pages are
/// not yielded.
public struct PageSequence<Item: ListItem>: AsyncSequence, Sendable {
    public typealias Element = ListPage<Item>

    let pageSize: Int
    let fetch: @Sendable (_ page: Int) async throws -> ListPage<Item>
    /// The listing's method and URL without paging parameters, for messages.
    let method: String
    let url: String

    /// `fetch` loads one page (1-based) with `pageSize` items.
    public init(
        pageSize: Int, method: String = "GET", url: String = "the list",
        fetch: @escaping @Sendable (_ page: Int) async throws -> ListPage<Item>
    ) {
        self.pageSize = pageSize
        self.fetch = fetch
        self.method = method
        self.url = url
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pageSize: pageSize, fetch: fetch)
    }

    /// Every item of every page, each id once.
    ///
    /// When the first page gives a total, pages 2…n are fetched `concurrency` at a time (under the client's
    /// shared rate limiter), n being what the total and the first page's length imply, and joined in page order;
    /// should the items still fall short of the total (a total that grew, pages shorter than the first), the rest
    /// is read one page at a time. Without a total, pages are read one at a time as the sequence does.
    ///
    /// Items are de-duplicated by id (the first occurrence is kept). When the distinct items do not add up to the
    /// last total reported, the whole list is read once more (it may have changed while being read); a second
    /// mismatch throws `CogramAPIError.invalidResponse` with `.inconsistentList`.
    public func allItems(concurrency: Int = 8) async throws -> [Item] {
        var distinct = 0
        var total = 0
        for _ in 1...2 {
            let (items, reported) = try await readOnce(concurrency: concurrency)
            guard let reported, reported != items.count else { return items }
            distinct = items.count
            total = reported
        }
        throw CogramAPIError.invalidResponse(.init(
            method: method, url: url, status: 200, problem: .inconsistentList(distinct: distinct, total: total)))
    }

    private func readOnce(concurrency: Int) async throws -> (items: [Item], total: Int?) {
        var collector = Collector()
        let first = try await fetch(1)
        collector.add(first)
        guard !first.items.isEmpty else { return (collector.items, first.total) }
        var number = 1
        var last = first
        if let total = first.total, collector.items.count < total {
            // The server's page length, whatever it echoes as page_size: the first page is full when more follow.
            let perPage = first.items.count
            let lastPage = Swift.min((total + perPage - 1) / perPage, AsyncIterator.maxPages)
            if lastPage >= 2 {
                var pages: [Int: ListPage<Item>] = [:]
                try await withThrowingTaskGroup(of: (Int, ListPage<Item>).self) { group in
                    var next = 2
                    for _ in 0..<Swift.max(1, concurrency) where next <= lastPage {
                        let page = next
                        group.addTask { (page, try await fetch(page)) }
                        next += 1
                    }
                    while let (page, result) = try await group.next() {
                        pages[page] = result
                        if next <= lastPage {
                            let page = next
                            group.addTask { (page, try await fetch(page)) }
                            next += 1
                        }
                    }
                }
                for page in 2...lastPage {
                    guard let result = pages[page] else { continue }
                    collector.add(result)
                }
                number = lastPage
                last = pages[lastPage] ?? first
            }
        }
        while AsyncIterator.continues(after: last, number: number, distinct: collector.items.count,
                                      total: collector.total, newItems: collector.lastAdded, pageSize: pageSize) {
            number += 1
            let page = try await fetch(number)
            collector.add(page)
            last = page
        }
        return (collector.items, collector.total)
    }

    /// Items in page order, each id once, and the latest total.
    private struct Collector {
        var items: [Item] = []
        var seen: Set<String> = []
        var total: Int?
        var lastAdded = 0

        mutating func add(_ page: ListPage<Item>) {
            lastAdded = 0
            for item in page.items where seen.insert(item.listIdentity).inserted {
                items.append(item)
                lastAdded += 1
            }
            if let reported = page.total { total = reported }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pageSize: Int
        let fetch: @Sendable (Int) async throws -> ListPage<Item>
        var nextPage = 1
        var finished = false
        var seen: Set<String> = []
        var total: Int?

        /// A bound on pages, against a server that never says it is done.
        static var maxPages: Int { 100_000 }

        public mutating func next() async throws -> ListPage<Item>? {
            guard !finished else { return nil }
            let page = try await fetch(nextPage)
            var added = 0
            for item in page.items where seen.insert(item.listIdentity).inserted { added += 1 }
            if let reported = page.total { total = reported }
            guard !page.items.isEmpty else {
                finished = true
                return nil
            }
            finished = !Self.continues(after: page, number: nextPage, distinct: seen.count, total: total,
                                       newItems: added, pageSize: pageSize)
            nextPage += 1
            return page
        }

        /// Whether another page should be read after `page` (page `number`).
        static func continues(
            after page: ListPage<Item>, number: Int, distinct: Int, total: Int?, newItems: Int, pageSize: Int
        ) -> Bool {
            guard !page.items.isEmpty, newItems > 0, number < maxPages else { return false }
            if let total { return distinct < total }
            if let more = page.hasMore { return more }
            let size = page.pageSize.map { $0 > 0 ? Swift.min($0, pageSize) : pageSize } ?? pageSize
            return page.items.count >= size
        }
    }
}
