//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Time-ordered, fixed-width identifiers in the KSUID format Svix uses.
///
/// A KSUID is 20 bytes: four big-endian bytes of seconds since the KSUID epoch (1 400 000 000), one byte of
/// milliseconds in 4 ms units (Svix's `KsuidMs` variant) and 15 random bytes, written as 27 base62 characters
/// (`0-9A-Za-z`, left-padded with `0`). Because the alphabet sorts in ASCII order, the string order of two ids
/// is their time order, which pagination relies on.
public enum KSUID {
    /// Seconds between the Unix epoch and the KSUID epoch.
    public static let epoch: Int64 = 1_400_000_000
    /// Number of base62 characters in an encoded KSUID.
    public static let encodedLength = 27

    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Makes a new KSUID string for the given time.
    /// - Parameter date: The time the id stands for.
    /// - Returns: 27 base62 characters.
    public static func generate(at date: Timestamp = .now) -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(at: date, using: &generator)
    }

    /// Makes a new KSUID string for the given time with the given source of randomness.
    public static func generate(at date: Timestamp, using generator: inout some RandomNumberGenerator) -> String {
        var bytes = header(for: date)
        // Two draws, not fifteen: the system generator makes a system call per draw.
        withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0.prefix(7)) }
        return encode(bytes)
    }

    /// The lowest (`upper == false`) or highest KSUID string for a moment; used to turn times into id bounds.
    public static func boundary(at date: Timestamp, upper: Bool) -> String {
        var bytes = header(for: date)
        bytes.append(contentsOf: [UInt8](repeating: upper ? 0xFF : 0x00, count: 15))
        return encode(bytes)
    }

    /// The time encoded in a KSUID string, or `nil` when the string is not a KSUID.
    public static func timestamp(of encoded: some StringProtocol) -> Timestamp? {
        guard let bytes = decode(encoded) else { return nil }
        var seconds: Int64 = 0
        for i in 0..<4 { seconds = seconds << 8 | Int64(bytes[i]) }
        let millis = Int64(bytes[4]) * 4
        return Timestamp(microseconds: (seconds + epoch) * 1_000_000 + millis * 1000)
    }

    /// Whether a string is a 27-character base62 KSUID.
    public static func isValid(_ encoded: some StringProtocol) -> Bool { decode(encoded) != nil }

    /// Whether a string has a KSUID's shape: 27 base62 characters, whether or not their number fits in 160 bits.
    public static func hasShape(_ encoded: some StringProtocol) -> Bool {
        encoded.utf8.count == encodedLength && encoded.utf8.allSatisfy { alphabet.contains($0) }
    }

    static func header(for date: Timestamp) -> [UInt8] {
        let seconds = UInt32(clamping: max(0, date.unixSeconds - epoch))
        // Before the epoch every time maps to the lowest id, milliseconds included, so order is kept.
        let millis = date.unixSeconds < epoch ? 0 : UInt8(clamping: (date.microseconds / 1000 % 1000) / 4)
        return [UInt8(seconds >> 24 & 0xFF), UInt8(seconds >> 16 & 0xFF), UInt8(seconds >> 8 & 0xFF), UInt8(seconds & 0xFF), millis]
    }

    static func encode(_ bytes: [UInt8]) -> String {
        // The 160-bit big-endian number as five 32-bit words, divided by 62 in place until it is zero (every id
        // made pays for this: no array per division step).
        var words = [UInt32](repeating: 0, count: 5)
        for index in 0..<5 {
            words[index] = UInt32(bytes[4 * index]) << 24 | UInt32(bytes[4 * index + 1]) << 16
                | UInt32(bytes[4 * index + 2]) << 8 | UInt32(bytes[4 * index + 3])
        }
        var digits = [UInt8](repeating: alphabet[0], count: encodedLength)
        var position = encodedLength
        var first = words.firstIndex { $0 != 0 } ?? 5
        // 62^27 > 2^160: the digits always fit.
        while first < 5 {
            var remainder: UInt64 = 0
            for index in first..<5 {
                let accumulator = remainder << 32 | UInt64(words[index])
                words[index] = UInt32(accumulator / 62)
                remainder = accumulator % 62
            }
            position -= 1
            digits[position] = alphabet[Int(remainder)]
            while first < 5, words[first] == 0 { first += 1 }
        }
        return String(decoding: digits, as: UTF8.self)
    }

    static func decode(_ encoded: some StringProtocol) -> [UInt8]? {
        let chars = Array(encoded.utf8)
        guard chars.count == encodedLength else { return nil }
        var number = [UInt8](repeating: 0, count: 20)
        for char in chars {
            guard let value = alphabet.firstIndex(of: char) else { return nil }
            var carry = value
            for i in stride(from: 19, through: 0, by: -1) {
                let accumulator = Int(number[i]) * 62 + carry
                number[i] = UInt8(accumulator & 0xFF)
                carry = accumulator >> 8
            }
            if carry != 0 { return nil }
        }
        return number
    }
}
