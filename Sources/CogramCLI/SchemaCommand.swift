import ArgumentParser
import CogramPlan

/// `cogramctl schema NAME`: prints a document's JSON Schema, byte for byte the file in `schemas/`.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of a manifest or of a document cogramctl writes.",
        discussion: """
            manifest: the YAML manifests (for editors: 'cogramctl schema manifest > cogram-manifest.v1.schema.json'); \
            plan: 'plan --format json', saved plans and 'show --format json'; plan-set: a saved plan of several \
            organizations; drift and access: those commands' JSON; drift-set and access-set: their JSON over several \
            organizations; apply-report-set: 'apply --format json' of several. Each schema's description states \
            its format_version rules.
            """
    )

    @Argument(help: ArgumentHelp(
        "The document: \(DocumentSchema.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
    var name: DocumentSchema

    func run() throws {
        Terminal.writeOutput(rendered: name.text)
    }
}

extension DocumentSchema: ExpressibleByArgument {}
