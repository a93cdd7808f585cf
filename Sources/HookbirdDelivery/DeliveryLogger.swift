//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import HookbirdStorage
import Logging

/// Logs about one delivery, with its message, endpoint and attempt as metadata. The metadata is built only for what
/// is logged (a logger's own metadata is formatted again on every change, which a delivery that logs nothing should
/// not pay for).
struct DeliveryLogger {
    let logger: Logger
    let delivery: ClaimedDelivery

    private func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging(
            [
                "hookbird.message_id": "\(delivery.message.id)",
                "hookbird.endpoint_id": "\(delivery.endpoint.id)",
                "hookbird.attempt": "\(delivery.attemptCount + 1)",
            ],
            uniquingKeysWith: { own, _ in own }
        )
    }

    func info(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        logger.info(message(), metadata: self.metadata(metadata()))
    }

    func warning(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        logger.warning(message(), metadata: self.metadata(metadata()))
    }

    func error(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        logger.error(message(), metadata: self.metadata(metadata()))
    }
}
