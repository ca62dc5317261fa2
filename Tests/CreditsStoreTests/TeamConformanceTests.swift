import CreditsCore
import CreditsStore
import Foundation
import Testing

/// People, member wallets, allotments, transfers, invitations, removals and the audit log, on every backend (issue 6).
@Suite("Team conformance")
struct TeamConformanceTests {
    typealias Data = BillingTestData
    static let day: TimeInterval = 86_400

    @Test(
        "a workspace is created with its owner, whose key acts as owner; a member's key acts as member",
        arguments: Backend.all)
    func ownerAndKeys(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let owner = try await fixture.owner()
        #expect(owner.role == .owner && owner.walletId == nil && owner.status == .active)
        #expect(try await fixture.store.people(workspaceId: fixture.workspace) == [owner])
        let keys = try await fixture.store.apiKeys(workspaceId: fixture.workspace)
        #expect(keys.map(\.personId) == [owner.id] && keys.map(\.role) == [.owner])
        let member = try await fixture.member("ana@example.com")
        #expect(member.key.role == .member && member.key.personId == member.id)
        let wallets = try await fixture.store.wallets(workspaceId: fixture.workspace)
        #expect(wallets.contains { $0.id == member.wallet && $0.kind == .member && $0.memberId == member.id })
        let second = try await fixture.store.createAPIKey(
            workspaceId: fixture.workspace, APIKeySecret.generate(name: "laptop", personId: member.id).key)
        #expect(second.role == .member && second.personId == member.id)
        let other = try await fixture.another()
        #expect(try await fixture.store.person(workspaceId: other.workspace, personId: member.id) == nil)
        #expect(try await fixture.store.people(workspaceId: fixture.workspace).map(\.id) == [owner.id, member.id])
    }

    @Test(
        "an invitation can be accepted for 7 days and not after; resend renews it, cancel closes it",
        arguments: Backend.all)
    func invitationExpiry(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let first = InvitationToken.generate()
        try await fixture.team(.invite(email: "Ana@Example.com", tokenHash: first.hash))
        #expect(
            await fixture.refusal { try await fixture.team(.invite(email: "ana@example.com", tokenHash: "x")) }
                == .alreadyMember)
        fixture.clock.advance(seconds: 7 * Self.day - 1)
        let ana = try await fixture.accept(first.hash)
        #expect(ana.person.email == "ana@example.com")
        #expect(await fixture.refusal { try await fixture.accept(first.hash) } == .invitationClosed)

        let second = InvitationToken.generate()
        let invited = try await fixture.team(.invite(email: "bo@example.com", tokenHash: second.hash))
        let invitation = try #require(invited.outcome.invitation)
        #expect(invitation.expiresAt == fixture.clock.now().addingTimeInterval(7 * Self.day))
        fixture.clock.advance(seconds: 7 * Self.day)
        #expect(await fixture.refusal { try await fixture.accept(second.hash) } == .invitationExpired)
        let renewed = InvitationToken.generate()
        let resent = try await fixture.team(.resendInvitation(invitation.id, tokenHash: renewed.hash))
        #expect(resent.outcome.invitation?.expiresAt == fixture.clock.now().addingTimeInterval(7 * Self.day))
        #expect(await fixture.refusal { try await fixture.accept(second.hash) } == .invitationNotFound)
        #expect(try await fixture.store.invitation(tokenHash: second.hash) == nil)
        _ = try await fixture.accept(renewed.hash)

        let third = InvitationToken.generate()
        let cancelled = try await fixture.team(.invite(email: "cy@example.com", tokenHash: third.hash))
        try await fixture.team(.cancelInvitation(try #require(cancelled.outcome.invitation?.id)))
        #expect(await fixture.refusal { try await fixture.accept(third.hash) } == .invitationClosed)
        let listed = try await fixture.store.invitations(workspaceId: fixture.workspace)
        #expect(listed.map(\.status) == [.cancelled, .accepted, .accepted])
    }

    @Test(
        "a transfer moves credits lot by lot, earliest expiry first, keeping each lot's expiry",
        arguments: Backend.all)
    func transferKeepsExpiry(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(10, expiresInSeconds: 10 * Self.day)
        try await fixture.grant(10, expiresInSeconds: 1 * Self.day)
        let member = try await fixture.member("ana@example.com")
        let result = try await fixture.team(.transfer(member.id, 15))
        let entries = result.outcome.entries
        #expect(entries.allSatisfy { $0.kind == .transfer })
        #expect(entries.filter { $0.walletId == fixture.pool }.map(\.amount) == [-10, -5])
        #expect(entries.filter { $0.walletId == member.wallet }.map(\.amount) == [10, 5])
        let now = fixture.clock.now()
        let lots = try await fixture.balance(member.wallet).lots.sorted { $0.expiresAt! < $1.expiresAt! }
        #expect(lots.map(\.remaining) == [10, 5] && lots.map(\.source) == [.transfer, .transfer])
        #expect(lots.map(\.expiresAt) == [now.addingTimeInterval(Self.day), now.addingTimeInterval(10 * Self.day)])
        #expect(try await fixture.balance().available == 5)
        #expect(try await fixture.balance(member.wallet).available == 15)
        fixture.clock.advance(seconds: Self.day)
        #expect(try await fixture.balance(member.wallet).available == 5, "the moved lot expired when its source would")
        try await fixture.expectClean()
    }

    @Test("reclaiming takes unused credits back to the pool (some, then all)", arguments: Backend.all)
    func reclaim(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(20)
        let member = try await fixture.member("ana@example.com")
        try await fixture.team(.transfer(member.id, 15))
        let some = try await fixture.team(.reclaim(member.id, 7))
        #expect(some.outcome.entries.allSatisfy { $0.kind == .transfer })
        #expect(try await fixture.balance(member.wallet).available == 8)
        #expect(try await fixture.balance().available == 12)
        #expect(await fixture.refusal { try await fixture.team(.reclaim(member.id, 9)) } == .outOfCredits)
        try await fixture.team(.reclaim(member.id, nil))
        #expect(try await fixture.balance(member.wallet).available == 0)
        #expect(try await fixture.balance().available == 20)
        try await fixture.expectClean()
    }

    @Test(
        "over-allocation is refused: allotments beyond the plan's, transfers beyond the pool",
        arguments: Backend.all)
    func overAllocation(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let ana = try await fixture.member("ana@example.com")
        let bo = try await fixture.member("bo@example.com")
        #expect(
            await fixture.refusal { try await fixture.team(.setAllotment(ana.id, 1)) } == .overAllocation,
            "no subscription: nothing to allot")
        try await fixture.subscribe()
        try await fixture.team(.setAllotment(ana.id, 60))
        #expect(await fixture.refusal { try await fixture.team(.setAllotment(bo.id, 41)) } == .overAllocation)
        try await fixture.team(.setAllotment(bo.id, 40))
        try await fixture.team(.setAllotment(ana.id, 50))
        #expect(try await fixture.store.people(workspaceId: fixture.workspace).map(\.monthlyAllotment) == [0, 50, 40])
        try await fixture.grant(5)
        #expect(await fixture.refusal { try await fixture.team(.transfer(ana.id, 6)) } == .overAllocation)
        #expect(try await fixture.balance().available == 5, "a refused transfer moves nothing")
        let owner = try await fixture.owner()
        #expect(await fixture.refusal { try await fixture.team(.transfer(owner.id, 1)) } == .invalidPersonState)
    }

    @Test(
        "50 concurrent transfers and allotments never promise more than the pool and the plan hold",
        arguments: Backend.all)
    func overAllocationUnderConcurrency(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.subscribe()
        var members: [Member] = []
        for index in 0..<5 { members.append(try await fixture.member("m\(index)@example.com")) }
        try await fixture.grant(20)
        let owner = try await fixture.owner().id
        let transfers = try await withThrowingTaskGroup(of: RefusalCode?.self) { group in
            for index in 0..<50 {
                let member = members[index % members.count]
                group.addTask {
                    await fixture.refusal { try await fixture.team(.transfer(member.id, 1), actor: owner) }
                }
            }
            return try await group.reduce(into: [RefusalCode?]()) { $0.append($1) }
        }
        #expect(transfers.filter { $0 == nil }.count == 20)
        #expect(transfers.filter { $0 == .overAllocation }.count == 30)
        #expect(try await fixture.balance().available == 0)
        var moved: Credits = .zero
        for member in members { moved += try await fixture.balance(member.wallet).available }
        #expect(moved == 20)

        let allotments = try await withThrowingTaskGroup(of: RefusalCode?.self) { group in
            for index in 0..<50 {
                let member = members[index % members.count]
                group.addTask {
                    await fixture.refusal { try await fixture.team(.setAllotment(member.id, 30), actor: owner) }
                }
            }
            return try await group.reduce(into: [RefusalCode?]()) { $0.append($1) }
        }
        let people = try await fixture.store.people(workspaceId: fixture.workspace)
        let total = people.map(\.monthlyAllotment).reduce(.zero, +)
        #expect(total == 90, "three members at 30 fit the plan's 100, a fourth would not")
        #expect(allotments.allSatisfy { $0 == nil || $0 == .overAllocation })
        try await fixture.expectClean()
    }

    @Test(
        "members' allotments are granted at each reset from the plan's allotment and expire with the cycle",
        arguments: Backend.all)
    func allotmentsAtReset(backend: Backend) async throws {
        let anchor = Data.date("2026-01-15T09:00:00Z")
        let fixture = try await Fixture.make(backend, timeZone: "UTC", start: anchor)
        let subscription = try await fixture.subscribe(anchor: anchor)
        let cycles = try subscription.validate()
        _ = try await fixture.resetDue()
        let ana = try await fixture.member("ana@example.com")
        let bo = try await fixture.member("bo@example.com")
        try await fixture.team(.setAllotment(ana.id, 30))
        try await fixture.team(.setAllotment(bo.id, 20))
        #expect(try await fixture.balance(ana.wallet).available == 0, "an allotment starts with the next cycle")

        fixture.clock.set(cycles.start(ofCycle: 1))
        #expect(try await fixture.resetDue().map(\.outcome) == [.reset])
        let anaLots = try await fixture.balance(ana.wallet).lots
        #expect(anaLots.map(\.remaining) == [30] && anaLots.map(\.expiresAt) == [cycles.start(ofCycle: 2)])
        #expect(try await fixture.balance(bo.wallet).available == 20)
        #expect(try await fixture.balance().available == 50, "the pool keeps the rest of the plan's 100")
        try await fixture.store.hold(
            HoldCommand(workspaceId: fixture.workspace, walletId: ana.wallet, attemptId: "a-1", timeoutSeconds: 60))
        _ = try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "a-1")

        fixture.clock.set(cycles.start(ofCycle: 2))
        _ = try await fixture.resetDue()
        let renewed = try await fixture.balance(ana.wallet).lots
        #expect(renewed.map(\.remaining) == [30], "last cycle's 29 expired; this cycle's 30 arrived")
        #expect(renewed.map(\.expiresAt) == [cycles.start(ofCycle: 3)])
        let expired = try await fixture.store.entries(
            EntryQuery(workspaceId: fixture.workspace, walletId: ana.wallet, limit: 100)
        ).entries.filter { $0.kind == .expiry }
        #expect(expired.map(\.amount) == [29])
        try await fixture.expectClean()
    }

    @Test(
        "a removal takes effect at the cycle's end: credits back to the pool, keys revoked; a cancelled one does not",
        arguments: Backend.all)
    func removalAtCycleEnd(backend: Backend) async throws {
        let anchor = Data.date("2026-01-15T09:00:00Z")
        let fixture = try await Fixture.make(backend, timeZone: "UTC", start: anchor)
        try await fixture.grant(30)
        let ana = try await fixture.member("ana@example.com")
        let bo = try await fixture.member("bo@example.com")
        try await fixture.team(.transfer(ana.id, 10))
        try await fixture.team(.transfer(bo.id, 10))
        let cycles = try await fixture.subscribe(anchor: anchor).validate()
        _ = try await fixture.resetDue()
        #expect(try await fixture.balance().available == 110)

        let scheduled = try await fixture.team(.scheduleRemoval(ana.id))
        #expect(scheduled.outcome.person?.status == .leaving)
        #expect(scheduled.outcome.person?.removalAt == cycles.start(ofCycle: 1))
        try await fixture.team(.leave, actor: bo.id)
        try await fixture.team(.cancelRemoval(bo.id))
        #expect(await fixture.refusal { try await fixture.team(.cancelRemoval(bo.id)) } == .invalidPersonState)
        #expect(await fixture.refusal { try await fixture.team(.leave) } == .invalidPersonState, "the owner stays")

        fixture.clock.set(cycles.start(ofCycle: 1).addingTimeInterval(-1))
        #expect(try await fixture.store.apiKey(hash: ana.key.hash)?.revokedAt == nil, "still working until the end")
        fixture.clock.set(cycles.start(ofCycle: 1))
        _ = try await fixture.resetDue()
        let people = try await fixture.store.people(workspaceId: fixture.workspace)
        #expect(people.first { $0.id == ana.id }?.status == .removed)
        #expect(people.first { $0.id == bo.id }?.status == .active)
        #expect(try await fixture.balance(ana.wallet).available == 0)
        #expect(try await fixture.balance(bo.wallet).available == 10)
        #expect(try await fixture.balance().available == 120, "10 left + 10 returned + cycle 1's 100")
        #expect(try await fixture.store.apiKey(hash: ana.key.hash)?.revokedAt != nil)
        #expect(try await fixture.store.apiKey(hash: bo.key.hash)?.revokedAt == nil)
        try await fixture.expectClean()
    }

    @Test(
        "every team change is in the audit log with who, what, before and after, newest first, paged",
        arguments: Backend.all)
    func auditLog(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let owner = try await fixture.owner().id
        try await fixture.subscribe()
        try await fixture.grant(10)
        let token = InvitationToken.generate()
        let invited = try await fixture.team(.invite(email: "ana@example.com", tokenHash: token.hash))
        let invitationId = try #require(invited.outcome.invitation?.id)
        let renewed = InvitationToken.generate()
        try await fixture.team(.resendInvitation(invitationId, tokenHash: renewed.hash))
        let ana = try await fixture.accept(renewed.hash)
        let other = InvitationToken.generate()
        let cancelled = try await fixture.team(.invite(email: "bo@example.com", tokenHash: other.hash))
        try await fixture.team(.cancelInvitation(try #require(cancelled.outcome.invitation?.id)))
        try await fixture.team(.setAllotment(ana.id, 40))
        try await fixture.team(.transfer(ana.id, 4))
        try await fixture.team(.reclaim(ana.id, 1))
        try await fixture.team(.scheduleRemoval(ana.id))
        try await fixture.team(.cancelRemoval(ana.id))
        try await fixture.team(
            .record(.purchaseCreated, subject: "pur_1", before: nil, after: ["credits": .number(500)]))

        let events = try await fixture.audit()
        #expect(
            events.reversed().map(\.action) == [
                .invitationCreated, .invitationResent, .memberJoined, .invitationCreated, .invitationCancelled,
                .allotmentChanged, .creditsTransferred, .creditsReclaimed, .removalScheduled, .removalCancelled,
                .purchaseCreated,
            ])
        #expect(events.allSatisfy { $0.workspaceId == fixture.workspace })
        let byAction = Dictionary(events.map { ($0.action, $0) }, uniquingKeysWith: { newer, _ in newer })
        #expect(byAction[.memberJoined]?.actor == ana.id && byAction[.memberJoined]?.subject == ana.id)
        #expect(byAction[.memberJoined]?.before == nil)
        #expect(byAction[.memberJoined]?.after?["walletId"] == .text(ana.wallet))
        let created = try #require(events.last)
        #expect(created.action == .invitationCreated && created.actor == owner && created.subject == invitationId)
        #expect(created.before == nil && created.after?["email"] == .text("ana@example.com"))
        let resent = try #require(byAction[.invitationResent])
        #expect(resent.before?["expiresAt"] != nil && resent.after?["expiresAt"] != nil)
        #expect(byAction[.invitationCancelled]?.before == ["status": .text("pending")])
        #expect(byAction[.allotmentChanged]?.actor == owner)
        #expect(byAction[.allotmentChanged]?.before == ["monthlyAllotment": .number(0)])
        #expect(byAction[.allotmentChanged]?.after == ["monthlyAllotment": .number(40)])
        #expect(byAction[.creditsTransferred]?.before == ["pool": .number(10), "member": .number(0)])
        #expect(
            byAction[.creditsTransferred]?.after == ["pool": .number(6), "member": .number(4), "amount": .number(4)])
        #expect(byAction[.creditsReclaimed]?.after?["member"] == .number(3))
        #expect(byAction[.removalScheduled]?.before == ["status": .text("active")])
        #expect(byAction[.removalCancelled]?.after?["status"] == .text("active"))
        #expect(byAction[.invitationCancelled]?.after == ["status": .text("cancelled")])
        #expect(byAction[.purchaseCreated]?.after == ["credits": .number(500)])

        let firstPage = try await fixture.store.auditEvents(AuditQuery(workspaceId: fixture.workspace, limit: 4))
        #expect(firstPage.events == Array(events.prefix(4)))
        let secondPage = try await fixture.store.auditEvents(
            AuditQuery(workspaceId: fixture.workspace, limit: 4, before: firstPage.nextCursor))
        #expect(secondPage.events == Array(events.dropFirst(4).prefix(4)))
        let other2 = try await fixture.another()
        #expect(try await other2.audit().isEmpty)
    }

    @Test("a removal at the cycle's end is audited as the system's", arguments: Backend.all)
    func removalAudited(backend: Backend) async throws {
        let anchor = Data.date("2026-01-15T09:00:00Z")
        let fixture = try await Fixture.make(backend, timeZone: "UTC", start: anchor)
        let cycles = try await fixture.subscribe(anchor: anchor).validate()
        _ = try await fixture.resetDue()
        let ana = try await fixture.member("ana@example.com")
        try await fixture.team(.transfer(ana.id, 3))
        try await fixture.team(.scheduleRemoval(ana.id))
        fixture.clock.set(cycles.start(ofCycle: 1))
        _ = try await fixture.resetDue()
        let removed = try #require(try await fixture.audit().first)
        #expect(removed.action == .memberRemoved && removed.actor == AuditEvent.systemActor)
        #expect(removed.before == ["status": .text("leaving")])
        #expect(
            removed.after == ["status": .text("removed"), "returnedCredits": .number(0)],
            "the 3 moved credits came from cycle 0's allotment and expired with it")
    }
}
