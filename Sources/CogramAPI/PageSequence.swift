/// Bounds on reading one listing, against a server that never says it is done.
public enum Paging {
    /// At most this many pages of one list are read (a million items at the default page size of 100).
    public static let maxPages = 10_000

    /// The pages a listing may take when the server reports `total` items and gives `perPage` per page: twice
    /// what the total needs (items may shift between pages while the list changes), plus a few, at most
    /// `maxPages`. Nil when the total alone needs more than `maxPages`.
    static func budget(total: Int, perPage: Int) -> Int? {
        let needed = (total + Swift.max(1, perPage) - 1) / Swift.max(1, perPage)
        guard needed <= maxPages else { return nil }
        return Swift.min(maxPages, 2 * needed + 10)
    }
}

/// How far reading one listing has come: pages read so far, and of how many when the server's total tells (the
/// total divided by the first page's length). For progress output; nothing here knows how it is shown.
public struct PageProgress: Sendable, Hashable {
    public var read: Int
    public var total: Int?

    public init(read: Int, total: Int?) {
        self.read = read
        self.total = total
    }
}

/// The pages of a list endpoint, fetched one at a time as the sequence is iterated.
///
/// Iteration stops after an empty page; after a page once the distinct items seen reach the `total` the server
/// reports; without a total, after a page whose `has_more` is false or whose `next` is null; without either,
/// after a page with fewer items than the page size (the one the server reports, if smaller than the one asked
/// for). A page that brings no item not seen before also ends it (a server that ignores `page`). Empty pages are
/// not yielded. A listing that goes on past `Paging`'s bounds throws `.unboundedList` instead of reading forever.
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
        AsyncIterator(pageSize: pageSize, fetch: fetch, method: method, url: url)
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
    ///
    /// `onPage` is told after each page read, with the pages read so far in this pass (a second pass counts
    /// again from 1) and how many the total implies.
    public func allItems(
        concurrency: Int = 8, onPage: @Sendable (PageProgress) -> Void = { _ in }
    ) async throws -> [Item] {
        var distinct = 0
        var total = 0
        for _ in 1...2 {
            let (items, reported) = try await readOnce(concurrency: concurrency, onPage: onPage)
            guard let reported, reported != items.count else { return items }
            distinct = items.count
            total = reported
        }
        throw CogramAPIError.invalidResponse(.init(
            method: method, url: url, status: 200, problem: .inconsistentList(distinct: distinct, total: total)))
    }

    private func readOnce(
        concurrency: Int, onPage: @Sendable (PageProgress) -> Void
    ) async throws -> (items: [Item], total: Int?) {
        var collector = Collector()
        let first = try await fetch(1)
        collector.add(first)
        // The server's page length, whatever it echoes as page_size: the first page is full when more follow.
        let perPage = first.items.count
        var expected = first.total.map { total in perPage > 0 ? Swift.max(1, (total + perPage - 1) / perPage) : 1 }
        var read = 1
        onPage(PageProgress(read: read, total: expected))
        guard !first.items.isEmpty else { return (collector.items, first.total) }
        var number = 1
        var last = first
        if let total = first.total, collector.items.count < total {
            guard Paging.budget(total: total, perPage: perPage) != nil else { throw tooManyPages(total: total, perPage: perPage) }
            let lastPage = (total + perPage - 1) / perPage
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
                        read += 1
                        onPage(PageProgress(read: read, total: expected))
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
            try checkBudget(pages: number, distinct: collector.items.count, total: collector.total, perPage: perPage)
            number += 1
            let page = try await fetch(number)
            collector.add(page)
            last = page
            read += 1
            // Past the pages the total implied, the count of how many is no longer known.
            if let known = expected, read > known { expected = nil }
            onPage(PageProgress(read: read, total: expected))
        }
        return (collector.items, collector.total)
    }

    private func tooManyPages(total: Int, perPage: Int) -> CogramAPIError {
        Self.unbounded(method: method, url: url,
            "the server reports \(total) items at \(perPage) per page, which would take more than \(Paging.maxPages) pages")
    }

    /// Throws once `pages` pages were read and another is due, beyond what the total allows (or `maxPages`).
    private func checkBudget(pages: Int, distinct: Int, total: Int?, perPage: Int) throws {
        try Self.checkBudget(pages: pages, distinct: distinct, total: total, perPage: perPage, method: method, url: url)
    }

    static func checkBudget(pages: Int, distinct: Int, total: Int?, perPage: Int, method: String, url: String) throws {
        let budget = total.map { Paging.budget(total: $0, perPage: perPage) ?? 0 } ?? Paging.maxPages
        guard pages >= budget else { return }
        let reported = total.map { " of the \($0) it reports at \(perPage) per page" } ?? ""
        throw unbounded(method: method, url: url,
            "after \(pages) pages it has brought \(distinct) distinct items\(reported), and says more follow")
    }

    static func unbounded(method: String, url: String, _ why: String) -> CogramAPIError {
        .invalidResponse(.init(method: method, url: url, status: 200, problem: .unboundedList(why)))
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
        let method: String
        let url: String
        var nextPage = 1
        var finished = false
        var seen: Set<String> = []
        var total: Int?
        var perPage = 0

        public mutating func next() async throws -> ListPage<Item>? {
            guard !finished else { return nil }
            if nextPage > 1 {
                try PageSequence.checkBudget(pages: nextPage - 1, distinct: seen.count, total: total, perPage: perPage,
                                             method: method, url: url)
            }
            let page = try await fetch(nextPage)
            if nextPage == 1 { perPage = page.items.count }
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
            guard !page.items.isEmpty, newItems > 0 else { return false }
            if let total { return distinct < total }
            if let more = page.hasMore { return more }
            let size = page.pageSize.map { $0 > 0 ? Swift.min($0, pageSize) : pageSize } ?? pageSize
            return page.items.count >= size
        }
    }
}
