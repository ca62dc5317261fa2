import Foundation

/// What a store writes for a purchase's confirmation or refund, in the transaction that loaded the purchase.
public struct PurchaseDecision<Result: Hashable & Sendable>: Hashable, Sendable {
    /// What the caller is told.
    public var result: Result
    /// The purchase row to write back; equal to the loaded one when nothing changed.
    public var purchase: Purchase
    /// Ledger rows: the new lot and its grant entry, or a refund's debit entry.
    public var change: LedgerChange
    /// The lot's grant, to store its result under the grant's idempotency key (confirmation only).
    public var grant: CreditCommand?
    public var grantResult: CreditResult?
}

/// The rules of buying credits, as pure functions. See docs/billing.md.
public enum Purchases {
    /// The idempotency key (and so the one lot) of a purchase's credits: one lot per payment, ever.
    public static func creditKey(_ purchaseId: PurchaseID) -> String { "purchase:\(purchaseId)" }

    /// When purchased credits expire: never without a validity; otherwise `validityDays` after the confirmation,
    /// but never before the end of the billing period they were bought in (`billingPeriodEnd`).
    public static func lotExpiry(confirmedAt: Date, validityDays: Int?, billingPeriodEnd: Date?) -> Date? {
        guard let validityDays else { return nil }
        let validUntil = confirmedAt.addingTimeInterval(TimeInterval(validityDays) * 86_400)
        guard let billingPeriodEnd else { return validUntil }
        return max(validUntil, billingPeriodEnd)
    }

    /// Confirms the payment of `purchase`: adds its lot to `wallet`, once. A purchase that is no longer pending was
    /// confirmed before; the answer is that first result (`existingLot`, as the store loads it), replayed.
    public static func complete(
        _ purchase: Purchase, wallet: Wallet, existingLot: Lot?, paymentReference: String?, billingPeriodEnd: Date?,
        now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> PurchaseDecision<PurchaseCompletion> {
        precondition(wallet.id == purchase.walletId && wallet.workspaceId == purchase.workspaceId)
        if let paymentReference, paymentReference.isEmpty || paymentReference.count > Limits.providerReferenceLengthMax
        {
            throw .invalid("payment reference must be 1 to \(Limits.providerReferenceLengthMax) characters")
        }
        guard purchase.status == .pending else {
            let completion = PurchaseCompletion(purchase: purchase, lot: existingLot, replayed: true)
            return PurchaseDecision(result: completion, purchase: purchase, change: LedgerChange())
        }
        let expiresAt = lotExpiry(
            confirmedAt: now, validityDays: purchase.validityDays, billingPeriodEnd: billingPeriodEnd)
        let command = CreditCommand(
            workspaceId: purchase.workspaceId, walletId: wallet.id, amount: purchase.credits, source: .purchase,
            effectiveAt: now, expiresAt: expiresAt, reason: "purchase of package \(purchase.packageId)",
            reference: purchase.id, idempotencyKey: creditKey(purchase.id))
        let (grant, change) = try Ledger.credit(command, wallet: wallet, lots: [], now: now, ids: ids)
        var completed = purchase
        completed.status = .completed
        completed.completedAt = now
        completed.lotId = grant.lot?.id
        completed.expiresAt = expiresAt
        completed.paymentReference = paymentReference ?? purchase.paymentReference
        return PurchaseDecision(
            result: PurchaseCompletion(purchase: completed, lot: grant.lot, replayed: false), purchase: completed,
            change: change, grant: command, grantResult: grant)
    }

    /// Records a refund of `refundedMinor` out of `chargedMinor` (cumulative, as the provider reports it): the same
    /// share of the purchased credits is taken back from what is left of the lot; what the lot no longer has was
    /// already spent (or is held by a call in flight) and is reported as such. A refund of an amount already
    /// recorded changes nothing (`replayed`); a refund before the payment was confirmed is `purchase_not_completed`.
    public static func refund(
        _ purchase: Purchase, lot: Lot?, refundedMinor: Int64, chargedMinor: Int64, now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> PurchaseDecision<PurchaseRefund> {
        guard chargedMinor > 0, (1...chargedMinor).contains(refundedMinor) else {
            throw .invalid("the refunded amount must be between 1 and the amount charged (\(chargedMinor))")
        }
        guard purchase.status != .pending else {
            throw LedgerRefusal(
                .purchaseNotCompleted, "purchase \(purchase.id) is not paid yet; a refund can only follow a payment")
        }
        guard refundedMinor > purchase.refundedMinor else {
            let refund = PurchaseRefund(purchase: purchase, takenBack: .zero, alreadySpent: .zero, replayed: true)
            return PurchaseDecision(result: refund, purchase: purchase, change: LedgerChange())
        }
        guard var lot, lot.id == purchase.lotId else {
            preconditionFailure("a completed purchase's refund must come with its lot")
        }
        let target: Credits
        if refundedMinor == chargedMinor {
            target = purchase.credits
        } else {
            // credits × refunded / charged, rounded down, without overflowing Int64 in the product.
            let product = purchase.credits.count.multipliedFullWidth(by: refundedMinor)
            target = Credits(chargedMinor.dividingFullWidth(product).quotient)
        }
        let covered = purchase.creditsTakenBack + purchase.creditsAlreadySpent
        let requested = max(.zero, target - covered)
        let taken = min(requested, lot.remaining)
        var change = LedgerChange()
        if taken > .zero {
            lot.remaining -= taken
            change.updatedLots.append(lot)
            change.entries.append(
                LedgerEntry(
                    id: ids.next(.entry), workspaceId: lot.workspaceId, walletId: lot.walletId, lotId: lot.id,
                    kind: .adjustment, amount: -taken, reason: "refund of purchase \(purchase.id)", createdAt: now))
        }
        var refunded = purchase
        refunded.refundedMinor = refundedMinor
        refunded.creditsTakenBack += taken
        refunded.creditsAlreadySpent += requested - taken
        refunded.status = target == purchase.credits ? .refunded : .partiallyRefunded
        refunded.refundedAt = now
        let refund = PurchaseRefund(
            purchase: refunded, takenBack: taken, alreadySpent: requested - taken, replayed: false)
        return PurchaseDecision(result: refund, purchase: refunded, change: change)
    }
}

extension Purchases {
    /// The end of the billing period containing `now` for a workspace with `subscription` (the current cycle's end);
    /// nil without a subscription, or when its cycles cannot be computed.
    public static func billingPeriodEnd(subscription: Subscription?, at now: Date) -> Date? {
        guard let subscription, let calendar = try? subscription.validate() else { return nil }
        return calendar.cycle(containing: now).end
    }
}

extension PurchaseCompletion {
    /// The `purchase.completed` notification of a first confirmation (none for a replay): one per payment, keyed by
    /// the purchase id (`paymentId` in the event), enqueued in the confirmation's transaction.
    public var notification: NewNotification? {
        guard !replayed, let completedAt = purchase.completedAt else { return nil }
        return .purchaseCompleted(
            workspaceId: purchase.workspaceId, paymentId: purchase.id, walletId: purchase.walletId,
            credits: purchase.credits, lotId: lot?.id, completedAt: completedAt)
    }
}
