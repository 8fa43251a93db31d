import ArgumentParser
import CogramBench
import Foundation

/// `cogram-bench generate`: seed a sandbox database and write the matching manifests and a variant.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Seed a sandbox database with a synthetic organization and write its manifests.",
        discussion: """
            Writes DIR/base (manifests that match the seeded database: planning them finds no changes) and \
            DIR/variant (the same with --change-fraction of the projects changed, one change each, plus a few new \
            projects). Everything is determined by --seed. Try: cogramctl plan DIR/variant --sandbox=PATH
            """
    )

    @Option(help: ArgumentHelp("The sandbox SQLite database to create.", valueName: "path"))
    var db: String

    @Option(help: ArgumentHelp("Projects, each with an external id.", valueName: "n"))
    var projects: Int

    @Option(help: ArgumentHelp("Members per project (the first is the owner).", valueName: "m"))
    var members: Int

    @Option(help: ArgumentHelp("Users of the organization.", valueName: "u"))
    var users: Int

    @Option(help: ArgumentHelp("Directory for base/ and variant/ manifests.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Share of projects the variant changes (0 to 1).", valueName: "f"))
    var changeFraction = 0.05

    @Option(help: ArgumentHelp("New projects in the variant (default: 1 per 100 changed projects).", valueName: "k"))
    var newProjects: Int?

    @Option(help: ArgumentHelp("Seed of every random choice.", valueName: "s"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Projects per manifest file.", valueName: "n"))
    var projectsPerFile = 500

    @Flag(help: "Delete an existing database at --db first (otherwise an existing file is refused).")
    var replace = false

    var spec: OrganizationSpec {
        OrganizationSpec(
            projects: projects, membersPerProject: members, users: users, changeFraction: changeFraction,
            newProjects: newProjects, seed: seed, projectsPerFile: projectsPerFile)
    }

    func validate() throws {
        do {
            try spec.validate()
        } catch {
            throw ValidationError(error.description)
        }
        if !replace, FileManager.default.fileExists(atPath: db) {
            throw ValidationError("\(db) exists; pass --replace to delete it, or choose another path")
        }
    }

    func run() async throws {
        let spec = self.spec
        let db = self.db
        let out = self.out
        let replace = self.replace
        let summary = try await onDedicatedThread { () throws -> String in
            var clock = ContinuousClock.now
            let organization = try SyntheticOrganization(spec: spec)
            let generated = (ContinuousClock.now - clock).seconds
            clock = .now
            let files = try organization.writeManifests(to: URL(fileURLWithPath: out, isDirectory: true))
            let written = (ContinuousClock.now - clock).seconds
            if replace {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
            }
            let parent = URL(fileURLWithPath: db).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            clock = .now
            try organization.seed(databasePath: db)
            let seeded = (ContinuousClock.now - clock).seconds
            let c = organization.changes
            return """
                Generated \(spec.projects) projects × \(spec.membersPerProject) members, \(spec.users) users (seed \(spec.seed)) in \(format(generated)).
                Wrote \(out)/base and \(out)/variant (\(files) files each) in \(format(written)).
                Seeded \(db) through SandboxStore.seed in \(format(seeded)).
                Variant: \(c.changedProjects) changed projects (\(c.renames) renames, \(c.roleChanges) role changes, \(c.memberAdds) member adds, \(c.memberRemovals) member removals), \(c.newProjects) new projects with \(c.newProjectMembers) members: \(c.planChanges) changes in its plan.

                """
        }
        FileHandle.standardError.write(Data(summary.utf8))
    }
}

func format(_ seconds: Double) -> String {
    seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : String(format: "%.2f s", seconds)
}
