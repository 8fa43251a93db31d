import CogramCLI

@main
struct Entrypoint {
    static func main() async {
        await Cogramctl.run()
    }
}
