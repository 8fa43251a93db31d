import CogramCore
import Crypto
import Foundation

/// The key that signs saved plans and checks their signature.
///
/// Derived with HKDF-SHA256 from the API key (plan and apply run with the same key) or from `COGRAM_PLAN_KEY`
/// (plan and apply hold different API keys, as CI pipelines with a read-only plan key do). Whoever can make a
/// valid signature can make apply run any plan they like: the key is as secret as the API key.
public struct PlanSigningKey: Sendable {
    public enum Source: String, Sendable {
        case apiKey = "the API key"
        case planKey = "COGRAM_PLAN_KEY"
        /// A plan set's outer key, from every organization's key (see `forSet`).
        case organizations = "the keys of all its organizations"
    }

    /// The derived key's bytes (`SymmetricKey` is not `Sendable`; one is made from these for each use).
    let bytes: Data
    public let source: Source

    var key: SymmetricKey { SymmetricKey(data: bytes) }

    private static let salt = Data("cogramctl saved-plan signature v1".utf8)

    private init(material: String, info: String, source: Source) {
        bytes = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(material.utf8)), salt: Self.salt, info: Data(info.utf8),
            outputByteCount: 32
        ).withUnsafeBytes { Data($0) }
        self.source = source
    }

    private init(bytes: Data, source: Source) {
        self.bytes = bytes
        self.source = source
    }

    /// One key from several, in order: HKDF over their bytes.
    static func combined(_ keys: [PlanSigningKey]) -> PlanSigningKey {
        let material = keys.reduce(into: Data()) { $0.append($1.bytes) }
        let bytes = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: material), salt: salt, info: Data("plan-set".utf8), outputByteCount: 32
        ).withUnsafeBytes { Data($0) }
        return PlanSigningKey(bytes: bytes, source: .organizations)
    }

    /// From the API key the command uses.
    public static func derived(fromAPIKey apiKey: String) -> PlanSigningKey {
        PlanSigningKey(material: apiKey, info: "api-key", source: .apiKey)
    }

    /// From a shared secret (`COGRAM_PLAN_KEY`).
    public static func fromSecret(_ secret: String) -> PlanSigningKey {
        PlanSigningKey(material: secret, info: "plan-key", source: .planKey)
    }

    /// `COGRAM_PLAN_KEY` when set and not empty, else `fallback`.
    public static func resolve(environment: [String: String], fallback: () -> PlanSigningKey) -> PlanSigningKey {
        if let secret = environment["COGRAM_PLAN_KEY"], !secret.isEmpty { return fromSecret(secret) }
        return fallback()
    }
}

extension Plan {
    static let signaturePrefix = "hmac-sha256:"

    /// The bytes the signature covers: the document as `jsonData()` writes it, without `signature`, without the
    /// derived `access` and without an empty `expiring` (see `encode(to:signedBody:)`).
    func canonicalData() throws -> Data {
        struct SignedBody: Encodable {
            var plan: Plan
            func encode(to encoder: any Encoder) throws { try plan.encode(to: encoder, signedBody: true) }
        }
        var unsigned = self
        unsigned.signature = nil
        return try StableJSON.data(SignedBody(plan: unsigned))
    }

    /// The plan with its `signature` set.
    public func signed(with key: PlanSigningKey) throws -> Plan {
        var plan = self
        let code = HMAC<SHA256>.authenticationCode(for: try canonicalData(), using: key.key)
        plan.signature = Self.signaturePrefix + code.map { String(format: "%02x", $0) }.joined()
        return plan
    }

    /// Checks the signature (in constant time). Run before anything else is done with a saved plan.
    public func verifySignature(with key: PlanSigningKey) throws(PlanValidationError) {
        guard let signature, signature.hasPrefix(Self.signaturePrefix) else { throw .unsigned }
        let hex = signature.dropFirst(Self.signaturePrefix.count)
        guard let mac = Data(hexString: hex), mac.count == SHA256.byteCount else { throw .badSignature(key.source.rawValue) }
        let data: Data
        do { data = try canonicalData() } catch { throw .badSignature(key.source.rawValue) }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: key.key) else {
            throw .badSignature(key.source.rawValue)
        }
    }
}

extension Data {
    /// Lower- or upper-case hex, two digits a byte; nil for anything else.
    init?(hexString: Substring) {
        let utf8 = Array(hexString.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self.init(bytes)
    }
}
