import CLibYAML

/// The floor for loading manifests: libyaml's parser alone, reading every event of `bytes` and deleting it.
/// Returns the number of events (so that the work cannot be optimised away), or -1 on a parse error.
func scanYAMLEvents(_ bytes: [UInt8]) -> Int {
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
    _ = input.initialize(from: bytes)
    defer {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }
    yaml_parser_initialize(parser)
    yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
    var event = yaml_event_t()
    var count = 0
    while true {
        guard yaml_parser_parse(parser, &event) == 1 else { return -1 }
        let done = event.type == YAML_STREAM_END_EVENT
        yaml_event_delete(&event)
        count += 1
        if done { return count }
    }
}
