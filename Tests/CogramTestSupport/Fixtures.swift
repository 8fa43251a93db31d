import CogramAPI
import CogramManifest
import CogramPlan
import Foundation

/// Small builders of Cogram objects, desired state and plans, so that each test states only what matters to it.
public enum F {
    public static let fixedNow = Date(timeIntervalSince1970: 1_772_280_000)  // 2026-02-28T12:00:00Z
    public static let stamp = "2026-01-01T00:00:00Z"

    public static func loc(_ line: Int, _ column: Int = 3, file: String = "org.yaml") -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    public static func user(
        _ name: String, role: OrganizationRole = .member, externalID: String? = nil, status: UserStatus = .active
    ) -> User {
        User(id: "usr_\(name)", email: "\(name)@acme.example", name: name.capitalized, role: role, externalID: externalID, status: status)
    }

    public static func project(
        _ id: String, externalID: String?, name: String? = nil, description: String? = nil,
        status: ProjectStatus = .active, updatedAt: String = stamp
    ) -> Project {
        Project(
            id: id, name: name ?? "Project \(id)", description: description, externalID: externalID,
            status: status, createdAt: stamp, updatedAt: updatedAt)
    }

    public static func member(_ name: String, _ role: ProjectRole) -> Member {
        Member(userID: "usr_\(name)", email: "\(name)@acme.example", name: name.capitalized, role: role, addedAt: stamp)
    }

    public static func dmember(_ email: String, _ role: ProjectRole, line: Int = 20) -> DesiredMember {
        DesiredMember(email: email.contains("@") ? email : "\(email)@acme.example", role: role, location: loc(line, 9))
    }

    public static func dproject(
        _ externalID: String, name: String? = nil, description: FieldValue<String> = .absent, id: String? = nil,
        previous: [String] = [], archived: Bool = false, members: [DesiredMember]? = nil, line: Int = 10
    ) -> DesiredProject {
        DesiredProject(
            externalID: externalID, name: name ?? "Project \(externalID)", description: description, id: id,
            previousExternalIDs: previous, archived: archived, members: members, location: loc(line))
    }

    public static func duser(_ email: String, role: OrganizationRole? = nil, externalID: FieldValue<String> = .absent, line: Int = 5) -> DesiredUser {
        DesiredUser(email: email.contains("@") ? email : "\(email)@acme.example", role: role, externalID: externalID, location: loc(line))
    }

    public static let users: [User] = [user("ana", role: .admin, externalID: "E-1"), user("ben"), user("cat"), user("dan"), user("eve", status: .deactivated)]

    public static func options(_ configure: (inout PlanOptions) -> Void = { _ in }) -> PlanOptions {
        var o = PlanOptions(toolVersion: "0.1.0", apiURL: "https://api.cogram.com", manifestDigest: "sha256:test", now: fixedNow)
        configure(&o)
        return o
    }

    public static func plan(
        _ desired: DesiredState, _ observed: ObservedState, _ configure: (inout PlanOptions) -> Void = { _ in }
    ) -> Plan {
        makePlan(desired: desired, observed: observed, options: options(configure))
    }

    /// A plan with every kind of change, used by golden files and applier tests.
    public static func rich() -> (DesiredState, ObservedState) {
        let observed = ObservedState(
            projects: [
                project("prj_1", externalID: "acme-bridge", name: "Bridge", description: "Old text"),
                project("prj_2", externalID: "acme-depot", name: "Depot", description: "To clear"),
                project("prj_3", externalID: "acme-tower", name: "Tower", status: .archived),
                project("prj_4", externalID: "acme-old-site", name: "Old Site"),
                project("prj_5", externalID: nil, name: "Loose"),
                project("prj_6", externalID: "acme-a"), project("prj_7", externalID: "acme-b"),
                project("prj_8", externalID: "acme-c"), project("prj_9", externalID: "acme-d"),
            ],
            users: users,
            members: [
                "prj_1": [member("ana", .owner), member("ben", .viewer), member("cat", .editor)],
                "prj_2": [member("ana", .owner)],
            ])
        let desired = DesiredState(
            users: [duser("ana", role: .admin), duser("ben", role: .admin, externalID: .value("E-2"), line: 6)],
            projects: [
                dproject("acme-bridge", name: "Harbor Bridge", description: .value("Seismic \"retrofit\""),
                         members: [dmember("ana", .owner), dmember("ben", .editor), dmember("dan", .viewer)], line: 10),
                dproject("acme-depot", name: "Depot", description: .null, line: 20),
                dproject("acme-tower", name: "Tower", line: 30),
                dproject("acme-new", name: "New Yard", description: .value("Fresh"),
                         members: [dmember("ana", .owner), dmember("cat", .viewer)], line: 40),
                dproject("acme-a", name: "Project prj_6", line: 50), dproject("acme-b", name: "Project prj_7", line: 51),
                dproject("acme-c", name: "Project prj_8", line: 52), dproject("acme-d", name: "Project prj_9", line: 53),
            ],
            files: ["org.yaml"])
        return (desired, observed)
    }
}

extension Plan {
    public func change(_ address: String) -> Change? { changes.first { $0.address.description == address } }
    public var actions: [String] { changes.map { "\($0.action.rawValue) \($0.address)" } }
}
