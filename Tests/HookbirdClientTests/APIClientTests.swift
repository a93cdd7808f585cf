//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdClient
import Testing

@Suite struct APIClientTests {
    @Test func errorBodies() {
        let plain = APIClientError(status: 401, body: #"{"code":"authentication_failed","detail":"Invalid token"}"#)
        #expect(plain.description == "401 authentication_failed: Invalid token")
        let validation = APIClientError(
            status: 422,
            body: #"{"detail":[{"loc":["body","url"],"msg":"bad url","type":"value_error"},{"loc":[],"msg":"x"}]}"#
        )
        #expect(validation.description == "422 validation_error: body.url: bad url; x")
        let html = APIClientError(status: 502, body: "<html>Bad gateway</html>")
        #expect(html.description == "502 bad_gateway: <html>Bad gateway</html>")
        #expect(APIClientError(status: 503, body: "").description == "503 service_unavailable: Service Unavailable")
        #expect(APIClientError(status: nil, code: "unreachable", detail: "x").description == "unreachable: x")
    }

    @Test func permanentErrors() {
        #expect(APIClientError(status: 401, body: "").isPermanent)
        #expect(APIClientError(status: 422, body: "").isPermanent)
        #expect(!APIClientError(status: 408, body: "").isPermanent)
        #expect(!APIClientError(status: 429, body: "").isPermanent)
        #expect(!APIClientError(status: 503, body: "").isPermanent)
        #expect(!APIClientError(status: nil, code: "unreachable", detail: "x").isPermanent)
    }

    @Test func paths() {
        #expect(APIClient.path("app", "a b/c", "msg") == "app/a%20b%2Fc/msg")
    }
}
