//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Configuration
import Foundation
import HookbirdServer
import SystemPackage
import Yams

/// Where a setting's value came from.
enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case commandLine
    /// The variable's name.
    case environment(String)
    /// The file's path.
    case file(String)

    var description: String {
        switch self {
        case .commandLine: "the command line"
        case .environment(let name): "the environment (\(name))"
        case .file(let path): "the config file \(path)"
        }
    }
}

/// A setting's value as given, and where it came from.
struct SettingValue: Sendable {
    var text: String
    var source: SettingSource
}

/// A bad value in the environment or the config file, or a config file that cannot be used: `hookbird` prints it and
/// exits with 78 (EX_CONFIG). Bad values on the command line are `ValidationError`s, exit code 64, as before.
struct ConfigFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The settings of `serve` (and `migrate`, `token create`) from their three sources, through swift-configuration's
/// providers: the command line (an `InMemoryProvider` of the flags given), `HOOKBIRD_*` variables
/// (`EnvironmentVariablesProvider`) and the optional `--config` file (`FileProvider` of a `YAMLSnapshot` or a
/// `JSONSnapshot`). A value is taken from the first source that has it, in that order; none means the default.
///
/// The sources are asked one by one rather than through one `ConfigReader`, because an error must name where the
/// bad value came from.
struct SettingSources: Sendable {
    private let commandLine: InMemoryProvider
    private let environment: EnvironmentVariablesProvider
    private let file: (provider: any ConfigProvider, path: String)?

    /// Reads the environment and the config file (`--config`, else `HOOKBIRD_CONFIG`).
    /// - Parameters:
    ///   - given: the flags given on the command line, by setting.
    ///   - environment: the process's environment.
    /// - Throws: ``ConfigFileError`` when the file is missing, unreadable, not YAML or JSON, or has a key that is no
    ///   setting.
    static func load(
        commandLine given: [ServeSetting: String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> SettingSources {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (setting, text) in given {
            values[AbsoluteConfigKey([setting.key])] = ConfigValue(.string(text), isSecret: setting.isSecret)
        }
        let commandLine = InMemoryProvider(name: "command line", values: values)
        let variables = environment.filter { $0.key.hasPrefix("HOOKBIRD_") && !$0.value.isEmpty }
        let secretNames = Set(ServeSetting.allCases.filter(\.isSecret).map(\.environmentVariable))
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: variables,
            secretsSpecifier: .dynamic { name, _ in secretNames.contains(name) }
        )
        var path = given[.config]
        if path == nil, let fromEnvironment = variables[ServeSetting.config.environmentVariable] {
            path = fromEnvironment
        }
        var file: (provider: any ConfigProvider, path: String)?
        if let path {
            file = (provider: try await Self.openFile(path), path: path)
        }
        return SettingSources(commandLine: commandLine, environment: environmentProvider, file: file)
    }

    /// The value of a setting from the first source that has it, or `nil` for the default.
    /// - Throws: ``ConfigFileError`` when the file's value is of a kind no setting takes (a mapping).
    func value(_ setting: ServeSetting) throws -> SettingValue? {
        if let text = try Self.text(commandLine, AbsoluteConfigKey([setting.key]), setting: setting, in: .commandLine) {
            return SettingValue(text: text, source: .commandLine)
        }
        let variable = setting.environmentVariable
        if let text = try Self.text(
            environment,
            AbsoluteConfigKey(["hookbird", setting.key]),
            setting: setting,
            in: .environment(variable)
        ) {
            return SettingValue(text: text, source: .environment(variable))
        }
        if let file, setting.inFile,
            let text = try Self.text(
                file.provider,
                AbsoluteConfigKey([setting.key]),
                setting: setting,
                in: .file(file.path)
            )
        {
            return SettingValue(text: text, source: .file(file.path))
        }
        return nil
    }

    /// The value of a setting, converted; `nil` for the default.
    ///
    /// A value `convert` refuses (returns `nil` for, or throws a `ValidationError` or `ConfigurationError` about) is an
    /// error naming the setting and its source: a `ValidationError` for the command line (exit code 64), a
    /// ``ConfigFileError`` for the environment and the file (exit code 78).
    /// - Parameters:
    ///   - setting: the setting.
    ///   - expected: what a good value is, e.g. "must be 0 to 65535", for when `convert` returns `nil`.
    ///   - convert: turns the text into the value.
    func parse<T>(_ setting: ServeSetting, _ expected: String, _ convert: (String) throws -> T?) throws -> T? {
        guard let value = try value(setting) else { return nil }
        let problem: String
        do {
            if let converted = try convert(value.text) { return converted }
            problem = "\(setting.flag) \(expected)"
        } catch let error as ValidationError {
            problem = error.message
        } catch let error as ConfigurationError {
            problem = error.description
        }
        throw Self.error(setting, value, problem)
    }

    /// A whole number in `range`; `nil` for the default.
    func integer(_ setting: ServeSetting, in range: ClosedRange<Int>, _ expected: String? = nil) throws -> Int? {
        try parse(setting, expected ?? "must be \(range.lowerBound) to \(range.upperBound)") { text in
            Int(text).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// A switch (`--https-only`): on when given on the command line; `true`/`false` (also `1`/`0`, `yes`/`no`,
    /// `on`/`off`) in the environment and the file.
    func isOn(_ setting: ServeSetting) throws -> Bool {
        try parse(setting, "must be true or false") { text in
            switch text.lowercased() {
            case "true", "1", "yes", "on": true
            case "false", "0", "no", "off": false
            default: nil
            }
        } ?? false
    }

    /// The error for a bad value: where it came from decides the kind (and so the exit code).
    static func error(_ setting: ServeSetting, _ value: SettingValue, _ problem: String) -> any Error {
        let shown = setting.isSecret ? "(hidden)" : "'\(value.text)'"
        switch value.source {
        case .commandLine:
            return ValidationError(problem.contains("got '") || setting.isSecret ? problem : "\(problem); got \(shown)")
        case .environment(let name):
            return ConfigFileError("\(name) in the environment: \(problem) (\(setting.key) = \(shown))")
        case .file(let path):
            return ConfigFileError("key '\(setting.key)' in \(path): \(problem) (\(setting.key) = \(shown))")
        }
    }

    // MARK: - Providers

    /// A value as text, whatever its kind in the source: a list becomes comma-separated, as the flags take it.
    private static func text(
        _ provider: any ConfigProvider,
        _ key: AbsoluteConfigKey,
        setting: ServeSetting,
        in source: SettingSource
    ) throws -> String? {
        for type in [ConfigType.string, .int, .double, .bool, .stringArray, .intArray, .doubleArray, .boolArray] {
            let result: LookupResult
            do {
                result = try provider.value(forKey: key, type: type)
            } catch {
                continue  // another kind of value: try the next
            }
            guard let value = result.value else { return nil }
            let text: String =
                switch value.content {
                case .string(let string): string
                case .int(let int): String(int)
                case .double(let double): String(double)
                case .bool(let bool): String(bool)
                case .stringArray(let strings): strings.joined(separator: ",")
                case .intArray(let ints): ints.map(String.init).joined(separator: ",")
                case .doubleArray(let doubles): doubles.map { String($0) }.joined(separator: ",")
                case .boolArray(let bools): bools.map { String($0) }.joined(separator: ",")
                case .bytes, .byteChunkArray: ""
                }
            return text.isEmpty ? nil : text
        }
        throw ConfigFileError(
            "\(setting.key) in \(source): expected a string, a number, true/false or a list of them"
        )
    }

    /// A provider over the file, YAML or JSON by its extension, after checking that every key in it is a setting.
    private static func openFile(_ path: String) async throws -> any ConfigProvider {
        let lowered = path.lowercased()
        let isJSON = lowered.hasSuffix(".json")
        guard isJSON || lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") else {
            throw ConfigFileError("--config \(path): the file must be .yaml, .yml or .json")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigFileError("--config \(path): cannot read it (\(error.localizedDescription))")
        }
        // swift-configuration's snapshots give values by key but do not list their keys; a JSON file is YAML too.
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw ConfigFileError("--config \(path): not valid \(isJSON ? "JSON" : "YAML"): \(error)")
        }
        if document != nil {
            guard let mapping = document as? [String: Any] else {
                throw ConfigFileError("--config \(path): the file must be a mapping of keys to values")
            }
            let known = Set(ServeSetting.allCases.filter(\.inFile).map(\.key))
            if let unknown = mapping.keys.sorted().first(where: { !known.contains($0) }) {
                throw ConfigFileError(
                    "--config \(path): unknown key '\(unknown)'; the keys are \(known.sorted().joined(separator: ", "))"
                )
            }
            for (key, value) in mapping where value is [String: Any] {
                throw ConfigFileError("key '\(key)' in \(path): expected a value, not a mapping")
            }
        }
        do {
            if isJSON {
                return try await FileProvider<JSONSnapshot>(filePath: FilePath(path))
            }
            return try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
        } catch {
            throw ConfigFileError("--config \(path): \(error)")
        }
    }
}

/// Runs a command's body; a ``ConfigFileError`` is printed and ends the process with exit code 78 (EX_CONFIG).
func exitingOnConfigErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ConfigFileError {
        FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
        throw ExitCode(78)
    }
}
