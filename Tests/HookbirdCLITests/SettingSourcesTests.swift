//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import HookbirdTesting
import Testing

@testable import hookbird

@Suite struct SettingSourcesTests {
    /// A config file in a directory of its own, removed afterwards.
    func withFile<T>(_ name: String, _ text: String, _ body: (String) async throws -> T) async throws -> T {
        try await withTemporaryDirectory("settings") { directory in
            let path = directory.path(name)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return try await body(path)
        }
    }

    @Test func commandLineWinsOverEnvironmentWhichWinsOverFile() async throws {
        try await withFile("hookbird.yaml", "port: 1001\nhost: 10.0.0.1\nworkers: 3\nretry-schedule: [1s, 2s]\n") {
            path in
            let settings = try await SettingSources.load(
                commandLine: [.config: path, .port: "1003"],
                environment: ["HOOKBIRD_PORT": "1002", "HOOKBIRD_HOST": "10.0.0.2", "HOOKBIRD_WORKERS": ""]
            )
            #expect(try settings.value(.port)?.text == "1003")
            #expect(try settings.value(.port)?.source == .commandLine)
            #expect(try settings.value(.host)?.text == "10.0.0.2")
            #expect(try settings.value(.host)?.source == .environment("HOOKBIRD_HOST"))
            #expect(try settings.value(.workers)?.text == "3")  // an empty variable is no value
            #expect(try settings.value(.workers)?.source == .file(path))
            #expect(try settings.value(.retrySchedule)?.text == "1s,2s")
            #expect(try settings.value(.durability) == nil)
        }
    }

    @Test func jsonValuesOfEveryKind() async throws {
        try await withFile("hookbird.json", #"{"port": 8080, "https-only": true, "egress-allow": ["10.0.0.0/8"]}"#) {
            path in
            let settings = try await SettingSources.load(commandLine: [.config: path], environment: [:])
            #expect(try settings.integer(.port, in: 0...65_535) == 8080)
            #expect(try settings.isOn(.httpsOnly))
            #expect(try settings.value(.egressAllow)?.text == "10.0.0.0/8")
        }
    }

    @Test func badValuesAreUsageErrorsOnTheCommandLineAndConfigErrorsElsewhere() async throws {
        let fromFlag = try await SettingSources.load(commandLine: [.port: "99999"], environment: [:])
        #expect(throws: ValidationError.self) { try fromFlag.integer(.port, in: 0...65_535) }
        let fromEnvironment = try await SettingSources.load(commandLine: [:], environment: ["HOOKBIRD_PORT": "x"])
        let error = #expect(throws: ConfigFileError.self) { try fromEnvironment.integer(.port, in: 0...65_535) }
        #expect(error?.description.contains("HOOKBIRD_PORT") == true)
        let secret = try await SettingSources.load(commandLine: [:], environment: ["HOOKBIRD_SECRETS_KEY": "s3cret"])
        let hidden = SettingSources.error(.secretsKey, try #require(try secret.value(.secretsKey)), "too short")
        #expect(!"\(hidden)".contains("s3cret"))
    }

    @Test func unknownKeysAndOtherFilesAreRefused() async throws {
        await #expect(throws: ConfigFileError.self) {
            try await withFile("hookbird.yaml", "prot: 1\n") { path in
                try await SettingSources.load(commandLine: [.config: path], environment: [:])
            }
        }
        await #expect(throws: ConfigFileError.self) {
            try await withFile("hookbird.toml", "port = 1\n") { path in
                try await SettingSources.load(commandLine: [.config: path], environment: [:])
            }
        }
        await #expect(throws: ConfigFileError.self) {
            try await SettingSources.load(commandLine: [.config: "/no/such/hookbird.yaml"], environment: [:])
        }
    }

    @Test func everySettingHasARowAndADistinctVariable() {
        let table = ServeSetting.markdownTable
        for setting in ServeSetting.allCases {
            #expect(table.contains("| `\(setting.flag)` | `\(setting.environmentVariable)` |"))
        }
        #expect(Set(ServeSetting.allCases.map(\.environmentVariable)).count == ServeSetting.allCases.count)
    }
}
