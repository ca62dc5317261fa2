import Foundation

/// What a team decision reads: the workspace's people, invitations, wallets and spendable lots, and what its plan
/// allots. A store loads it in the transaction that writes the decision (locking the pool first).
public struct TeamSnapshot: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var people: [Person]
    public var invitations: [Invitation]
    public var wallets: [Wallet]
    /// Lots with remaining credit of every wallet of the workspace.
    public var lots: [Lot]
    /// The current plan's monthly allotment; zero without a subscription.
    public var planAllotment: Credits
    /// When the current cycle ends; nil without a subscription (a removal then takes effect at once).
    public var cycleEnd: Date?

    public init(
        workspaceId: WorkspaceID, people: [Person], invitations: [Invitation], wallets: [Wallet], lots: [Lot],
        planAllotment: Credits, cycleEnd: Date?
    ) {
        self.workspaceId = workspaceId
        self.people = people
        self.invitations = invitations
        self.wallets = wallets
        self.lots = lots
        self.planAllotment = planAllotment
        self.cycleEnd = cycleEnd
    }

    public var pool: Wallet {
        guard let pool = wallets.first(where: { $0.kind == .pool }) else {
            preconditionFailure("workspace \(workspaceId) has no pool")
        }
        return pool
    }
}

/// What the owner (or a member, or an invitee) asks of the team.
public enum TeamCommand: Hashable, Sendable {
    case invite(email: String, tokenHash: String)
    case resendInvitation(InvitationID, tokenHash: String)
    case cancelInvitation(InvitationID)
    /// The invitee accepts; the store then makes the new member's first API key.
    case acceptInvitation(tokenHash: String)
    case setAllotment(PersonID, Credits)
    case transfer(PersonID, Credits)
    /// Takes `amount` (nil: everything unused) back from a member's wallet to the pool.
    case reclaim(PersonID, Credits?)
    case scheduleRemoval(PersonID)
    case cancelRemoval(PersonID)
    /// The acting member leaves (at the end of the cycle).
    case leave
    /// An event decided elsewhere (a purchase, a plan or subscription change), recorded in the log.
    case record(AuditAction, subject: String?, before: AuditState?, after: AuditState?)
}

/// What a team decision writes, in one transaction: people and invitations (inserted or replaced), new wallets, the
/// ledger change, audit events, and keys to make or revoke.
public struct TeamChange: Hashable, Sendable {
    public var people: [Person] = []
    public var wallets: [Wallet] = []
    public var invitations: [Invitation] = []
    public var ledger = LedgerChange()
    public var audit: [AuditEvent] = []
    /// The person whose first key the store makes (an accepted invitation).
    public var keyFor: Person?
    /// People whose keys stop working now.
    public var revokeKeysOf: [PersonID] = []

    public init() {}

    public var isEmpty: Bool {
        people.isEmpty && wallets.isEmpty && invitations.isEmpty && ledger.isEmpty && audit.isEmpty && keyFor == nil
            && revokeKeysOf.isEmpty
    }
}

/// The answer to a team command.
public struct TeamOutcome: Hashable, Sendable {
    public var person: Person?
    public var invitation: Invitation?
    public var entries: [LedgerEntry] = []
    public var audit: [AuditEvent] = []

    public init(person: Person? = nil, invitation: Invitation? = nil) {
        self.person = person
        self.invitation = invitation
    }
}

/// The team's rules as pure functions over a snapshot (docs/teams.md).
public enum TeamRules {
    /// Decides `command` by `actor` (a person id, or `operator`/`system`/`invitee`).
    public static func decide(
        _ command: TeamCommand, actor: String, snapshot: TeamSnapshot, now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> (TeamOutcome, TeamChange) {
        var state = Working(snapshot: snapshot, actor: actor, now: now)
        var outcome = TeamOutcome()
        switch command {
        case .invite(let email, let tokenHash):
            try EmailAddress.check(email)
            let address = EmailAddress.normalized(email)
            try state.checkNotMember(address)
            if snapshot.invitations.contains(where: {
                $0.email == address && $0.status == .pending && !$0.isExpired(at: now)
            }) {
                throw LedgerRefusal(.alreadyMember, "\(address) already has a pending invitation; resend it instead")
            }
            let invitation = Invitation(
                id: ids.next(.invitation), workspaceId: snapshot.workspaceId, email: address, tokenHash: tokenHash,
                status: .pending, invitedBy: actor, createdAt: now, sentAt: now,
                expiresAt: now.addingTimeInterval(Invitation.lifetimeSeconds))
            state.change.invitations.append(invitation)
            state.audit(
                .invitationCreated, invitation.id, before: nil,
                after: ["email": .text(address), "expiresAt": .date(invitation.expiresAt)], ids: ids)
            outcome.invitation = invitation
        case .resendInvitation(let id, let tokenHash):
            var invitation = try state.pendingInvitation(id)
            let before: AuditState = ["expiresAt": .date(invitation.expiresAt)]
            invitation.tokenHash = tokenHash
            invitation.sentAt = now
            invitation.expiresAt = now.addingTimeInterval(Invitation.lifetimeSeconds)
            state.change.invitations.append(invitation)
            state.audit(
                .invitationResent, id, before: before, after: ["expiresAt": .date(invitation.expiresAt)], ids: ids)
            outcome.invitation = invitation
        case .cancelInvitation(let id):
            var invitation = try state.pendingInvitation(id)
            invitation.status = .cancelled
            invitation.endedAt = now
            state.change.invitations.append(invitation)
            state.audit(
                .invitationCancelled, id, before: ["status": .text("pending")], after: ["status": .text("cancelled")],
                ids: ids)
            outcome.invitation = invitation
        case .acceptInvitation(let tokenHash):
            guard var invitation = snapshot.invitations.first(where: { $0.tokenHash == tokenHash }) else {
                throw LedgerRefusal(.invitationNotFound, "no invitation has this token")
            }
            guard invitation.status == .pending else {
                throw LedgerRefusal(.invitationClosed, "the invitation was already \(invitation.status.rawValue)")
            }
            guard !invitation.isExpired(at: now) else {
                throw LedgerRefusal(.invitationExpired, "the invitation expired; ask the owner to resend it")
            }
            try state.checkNotMember(invitation.email)
            let personId = ids.next(.person)
            let wallet = Wallet(
                id: ids.next(.wallet), workspaceId: snapshot.workspaceId, kind: .member, memberId: personId,
                createdAt: now)
            let person = Person(
                id: personId, workspaceId: snapshot.workspaceId, email: invitation.email, role: .member,
                walletId: wallet.id, joinedAt: now)
            invitation.status = .accepted
            invitation.personId = personId
            invitation.endedAt = now
            state.change.wallets.append(wallet)
            state.change.people.append(person)
            state.change.invitations.append(invitation)
            state.change.keyFor = person
            state.actor = personId
            state.audit(
                .memberJoined, personId, before: nil,
                after: [
                    "email": .text(invitation.email), "invitationId": .text(invitation.id),
                    "walletId": .text(wallet.id),
                ],
                ids: ids)
            outcome.person = person
            outcome.invitation = invitation
        case .setAllotment(let personId, let amount):
            guard amount >= .zero, amount.count <= Limits.grantAmountMax else {
                throw .invalid("monthlyAllotment must be between 0 and \(Limits.grantAmountMax)")
            }
            var person = try state.member(personId)
            let others = state.people.values.filter { $0.role == .member && $0.status != .removed && $0.id != personId }
                .sum(\.monthlyAllotment)
            guard others + amount <= snapshot.planAllotment else {
                throw LedgerRefusal(
                    .overAllocation,
                    "members' allotments would total \(others + amount), more than the plan's \(snapshot.planAllotment)"
                )
            }
            let before = person.monthlyAllotment
            person.monthlyAllotment = amount
            state.save(person)
            state.audit(
                .allotmentChanged, personId, before: ["monthlyAllotment": .credits(before)],
                after: ["monthlyAllotment": .credits(amount)], ids: ids)
            outcome.person = person
        case .transfer(let personId, let amount):
            let person = try state.member(personId)
            guard amount > .zero, amount.count <= Limits.grantAmountMax else {
                throw .invalid("amount must be between 1 and \(Limits.grantAmountMax)")
            }
            guard let walletId = person.walletId else { preconditionFailure("a member has a wallet") }
            let pool = snapshot.pool.id
            let before = state.balances(pool, walletId)
            guard before.0 >= amount else {
                throw LedgerRefusal(
                    .overAllocation, "the pool has \(before.0) available credits; cannot transfer \(amount)")
            }
            state.move(amount, from: pool, to: walletId, reason: "transfer to \(personId)", ids: ids)
            let after = state.balances(pool, walletId)
            state.audit(
                .creditsTransferred, personId, before: ["pool": .credits(before.0), "member": .credits(before.1)],
                after: ["pool": .credits(after.0), "member": .credits(after.1), "amount": .credits(amount)], ids: ids)
            outcome.person = person
        case .reclaim(let personId, let requested):
            let person = try state.member(personId)
            guard let walletId = person.walletId else { preconditionFailure("a member has a wallet") }
            let pool = snapshot.pool.id
            let before = state.balances(pool, walletId)
            let amount = requested ?? before.1
            guard amount >= .zero, amount.count <= Limits.grantAmountMax else {
                throw .invalid("amount must be between 1 and \(Limits.grantAmountMax)")
            }
            guard before.1 >= amount else {
                throw LedgerRefusal(
                    .outOfCredits, "the member has \(before.1) unused credits; cannot reclaim \(amount)")
            }
            state.move(amount, from: walletId, to: pool, reason: "reclaimed from \(personId)", ids: ids)
            let after = state.balances(pool, walletId)
            state.audit(
                .creditsReclaimed, personId, before: ["pool": .credits(before.0), "member": .credits(before.1)],
                after: ["pool": .credits(after.0), "member": .credits(after.1), "amount": .credits(amount)], ids: ids)
            outcome.person = person
        case .scheduleRemoval(let personId):
            outcome.person = try state.scheduleRemoval(personId, ids: ids)
        case .leave:
            guard let me = state.people[actor], me.role == .member else {
                throw LedgerRefusal(.invalidPersonState, "the owner cannot leave the workspace")
            }
            outcome.person = try state.scheduleRemoval(me.id, ids: ids)
        case .cancelRemoval(let personId):
            var person = try state.member(personId)
            guard person.status == .leaving, let removalAt = person.removalAt else {
                throw LedgerRefusal(.invalidPersonState, "no removal is scheduled for \(personId)")
            }
            person.status = .active
            person.removalAt = nil
            state.save(person)
            state.audit(
                .removalCancelled, personId, before: ["status": .text("leaving"), "removalAt": .date(removalAt)],
                after: ["status": .text("active"), "removalAt": .null], ids: ids)
            outcome.person = person
        case .record(let action, let subject, let before, let after):
            state.audit(action, subject, before: before, after: after, ids: ids)
        }
        let change = state.finish()
        outcome.entries = change.ledger.entries
        outcome.audit = change.audit
        if let person = outcome.person { outcome.person = state.people[person.id] ?? person }
        return (outcome, change)
    }

    /// What a cycle reset does to the team, after the pool's reset in the same transaction: removals due by `now`
    /// take effect (the member's unused credits go back to the pool, keeping their expiry; their keys stop working),
    /// member lots whose time passed expire, and each active member's monthly allotment moves from the cycle's
    /// allotment lot `allotmentLotId` (nil when nothing was granted) into their wallet, expiring with it.
    public static func cycleReset(
        snapshot: TeamSnapshot, allotmentLotId: LotID?, now: Date, ids: some IDSource
    ) -> TeamChange {
        var state = Working(snapshot: snapshot, actor: AuditEvent.systemActor, now: now)
        for person in TeamOrder.people(Array(state.people.values))
        where person.status == .leaving && (person.removalAt ?? now) <= now {
            state.remove(person.id, ids: ids)
        }
        for lot in state.lots.values.sorted(by: { $0.id < $1.id })
        where lot.walletId != snapshot.pool.id && lot.isExpired(at: now) && lot.remaining > .zero {
            state.ledger.entries += Ledger.expire(lot, now: now, ids: ids).entries
            state.lots[lot.id]?.remaining = .zero
            state.touchedLots.append(lot.id)
        }
        if let allotmentLotId {
            for person in TeamOrder.people(Array(state.people.values))
            where person.role == .member && person.status == .active && person.monthlyAllotment > .zero {
                guard let lot = state.lots[allotmentLotId], lot.remaining > .zero, let walletId = person.walletId
                else { break }
                let amount = min(person.monthlyAllotment, lot.remaining)
                state.move(
                    amount, fromLots: [lot], to: walletId, reason: "monthly allotment of \(person.id)", ids: ids)
            }
        }
        return state.finish()
    }
}

/// The snapshot as a decision changes it: people and lots by id, and what to write.
private struct Working {
    let snapshot: TeamSnapshot
    var actor: String
    let now: Date
    var people: [PersonID: Person]
    var lots: [LotID: Lot]
    var change = TeamChange()
    var ledger = LedgerChange()
    var touchedLots: [LotID] = []
    var touchedPeople: [PersonID] = []

    init(snapshot: TeamSnapshot, actor: String, now: Date) {
        self.snapshot = snapshot
        self.actor = actor
        self.now = now
        people = Dictionary(snapshot.people.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        lots = Dictionary(snapshot.lots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func checkNotMember(_ email: String) throws(LedgerRefusal) {
        if people.values.contains(where: { $0.email == email && $0.status != .removed }) {
            throw LedgerRefusal(.alreadyMember, "\(email) already belongs to this workspace")
        }
    }

    func pendingInvitation(_ id: InvitationID) throws(LedgerRefusal) -> Invitation {
        guard let invitation = snapshot.invitations.first(where: { $0.id == id }) else {
            throw LedgerRefusal(.invitationNotFound, "no invitation \(id) in this workspace")
        }
        guard invitation.status == .pending else {
            throw LedgerRefusal(.invitationClosed, "the invitation was already \(invitation.status.rawValue)")
        }
        return invitation
    }

    /// A member who has not been removed; the owner and unknown ids are refused.
    func member(_ id: PersonID) throws(LedgerRefusal) -> Person {
        guard let person = people[id] else {
            throw LedgerRefusal(.personNotFound, "no person \(id) in this workspace")
        }
        guard person.role == .member else {
            throw LedgerRefusal(.invalidPersonState, "the owner has no wallet of their own; this applies to members")
        }
        guard person.status != .removed else { throw LedgerRefusal(.invalidPersonState, "\(id) was removed") }
        return person
    }

    mutating func save(_ person: Person) {
        people[person.id] = person
        if !touchedPeople.contains(person.id) { touchedPeople.append(person.id) }
    }

    /// Spendable credits of the pool and of a member's wallet.
    func balances(_ pool: WalletID, _ member: WalletID) -> (Credits, Credits) {
        func available(_ wallet: WalletID) -> Credits {
            lots.values.filter { $0.walletId == wallet && $0.isSpendable(at: now) }.sum(\.remaining)
        }
        return (available(pool), available(member))
    }

    mutating func move(
        _ amount: Credits, from source: WalletID, to destination: WalletID, reason: String, ids: some IDSource
    ) {
        move(
            amount, fromLots: Array(lots.values.filter { $0.walletId == source }), to: destination, reason: reason,
            ids: ids)
    }

    /// Moves `amount` lot by lot, earliest expiry first: each source lot gives a `transfer` entry (negative) and the
    /// destination gets a lot with the same expiry and a `transfer` entry (positive). The caller checked the amount.
    mutating func move(
        _ amount: Credits, fromLots source: [Lot], to destination: WalletID, reason: String, ids: some IDSource
    ) {
        var owed = amount
        for original in Ledger.spendingOrder(source.map { lots[$0.id] ?? $0 }, now: now) where owed > .zero {
            var lot = original
            let taken = min(lot.remaining, owed)
            owed -= taken
            lot.remaining -= taken
            lots[lot.id] = lot
            if !touchedLots.contains(lot.id) { touchedLots.append(lot.id) }
            ledger.entries.append(
                LedgerEntry(
                    id: ids.next(.entry), workspaceId: lot.workspaceId, walletId: lot.walletId, lotId: lot.id,
                    kind: .transfer, amount: -taken, reason: reason, createdAt: now))
            let moved = Lot(
                id: ids.next(.lot), workspaceId: lot.workspaceId, walletId: destination, source: .transfer,
                amount: taken, remaining: taken, held: .zero, effectiveAt: now, expiresAt: lot.expiresAt,
                createdAt: now, reference: lot.id)
            ledger.insertedLots.append(moved)
            lots[moved.id] = moved
            ledger.entries.append(
                LedgerEntry(
                    id: ids.next(.entry), workspaceId: moved.workspaceId, walletId: destination, lotId: moved.id,
                    kind: .transfer, amount: taken, reason: reason, createdAt: now))
        }
        precondition(owed == .zero, "moved less than the checked amount")
    }

    /// Schedules a member's removal for the end of the cycle, or removes them now without a subscription.
    mutating func scheduleRemoval(_ id: PersonID, ids: some IDSource) throws(LedgerRefusal) -> Person {
        var person = try member(id)
        guard person.status == .active else {
            throw LedgerRefusal(.invalidPersonState, "a removal is already scheduled for \(id)")
        }
        person.status = .leaving
        person.removalAt = snapshot.cycleEnd ?? now
        save(person)
        audit(
            .removalScheduled, id, before: ["status": .text("active")],
            after: ["status": .text("leaving"), "removalAt": .date(person.removalAt)], ids: ids)
        if snapshot.cycleEnd == nil { remove(id, ids: ids) }
        return people[id] ?? person
    }

    /// A removal taking effect: unused credits back to the pool (keeping expiry), status removed, keys revoked.
    mutating func remove(_ id: PersonID, ids: some IDSource) {
        guard var person = people[id], let walletId = person.walletId else { return }
        let pool = snapshot.pool.id
        let returned = balances(pool, walletId).1
        if returned > .zero {
            move(returned, from: walletId, to: pool, reason: "returned at removal of \(id)", ids: ids)
        }
        person.status = .removed
        person.removedAt = now
        save(person)
        change.revokeKeysOf.append(id)
        audit(
            .memberRemoved, id, before: ["status": .text("leaving")],
            after: ["status": .text("removed"), "returnedCredits": .credits(returned)], ids: ids)
    }

    mutating func audit(
        _ action: AuditAction, _ subject: String?, before: AuditState?, after: AuditState?, ids: some IDSource
    ) {
        change.audit.append(
            AuditEvent(
                id: ids.next(.audit), workspaceId: snapshot.workspaceId, actor: actor, action: action,
                subject: subject, before: before, after: after, createdAt: now))
    }

    /// The change to write: lots updated once each (their final state), people once each.
    consuming func finish() -> TeamChange {
        var result = change
        let inserted = Set(ledger.insertedLots.map(\.id))
        result.ledger.insertedLots = ledger.insertedLots.map { lots[$0.id] ?? $0 }
        result.ledger.updatedLots = touchedLots.filter { !inserted.contains($0) }.compactMap { lots[$0] }
        result.ledger.entries = ledger.entries
        result.people += touchedPeople.compactMap { people[$0] }
        return result
    }
}

extension TeamSnapshot {
    /// What the subscription contributes to a snapshot: the plan's allotment and the end of the cycle containing
    /// `now`; nothing without a subscription (or with one whose calendar cannot be read).
    public static func terms(
        subscription: Subscription?, plan: Plan?, now: Date
    ) -> (planAllotment: Credits, cycleEnd: Date?) {
        guard let subscription, let plan, let calendar = try? subscription.validate() else { return (.zero, nil) }
        return (plan.monthlyAllotment, calendar.cycle(containing: now).end)
    }
}
