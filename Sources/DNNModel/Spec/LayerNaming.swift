// A layer's name, as the language gives it (grammar/README.md): the `name` written, or `<kind>_<n>`,
// n counting every layer of that kind in its list from 1, named or not. The IR builder, `resolve` and
// `--set` (which finds layers by name in the raw YAML) all name layers with this one counter.

import DNNSyntax

package struct LayerNaming {
    private var counts: [String: Int] = [:]

    package init() {}

    /// The next layer's name in this list (the model's layers, or one block's).
    package mutating func name(kind: String, written: String?) -> String {
        counts[kind, default: 0] += 1
        return written ?? "\(kind)_\(counts[kind]!)"
    }
}
