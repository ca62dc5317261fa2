import CreditsCore
import CreditsStore
import Foundation
import Testing

/// Plans, subscriptions and cycle resets, on every backend (issue 5).
@Suite("Billing conformance")
struct BillingConformanceTests {
    typealias Data = BillingTestData

    @Test(
        "the first reset grants the cycle's allotment once and enqueues cycle.reset; the next run finds nothing due",
        arguments: Backend.all)
    func firstReset(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.listen()
        let subscription = try await fixture.subscribe()
        let reports = try await fixture.resetDue()
        #expect(reports.map(\.outcome) == [.reset] && reports.first?.granted == 100)
        #expect(try await fixture.resetDue().isEmpty)
        #expect(try await fixture.store.resetCycle(workspaceId: fixture.workspace).outcome == .alreadyReset)
        let summary = try await fixture.summary()
        let cycles = try subscription.validate()
        #expect(summary.available == 100)
        #expect(summary.allotment?.granted == 100 && summary.allotment?.left == 100 && summary.allotment?.used == 0)
        #expect(summary.nextResetAt == cycles.start(ofCycle: 1))
        #expect(try await fixture.store.nextCycleResetDue() == cycles.start(ofCycle: 1))
        #expect(try await fixture.allotmentGrants().count == 1)
        #expect(try await fixture.eventTypes() == [.cycleReset])
        let again = try await fixture.store.emit(
            .cycleReset(
                workspaceId: fixture.workspace, cycleStart: cycles.start(ofCycle: 0),
                cycleEnd: cycles.start(ofCycle: 1),
                granted: 100, expired: 0))
        #expect(!again.created && again.event.payload.contains(#""granted":100"#))
        try await fixture.expectClean()
    }

    @Test("a Jan 31 anchor resets on Feb 29 of a leap year, then on Mar 31 and Apr 30", arguments: Backend.all)
    func leapFebruary(backend: Backend) async throws {
        let anchor = Data.date("2028-01-31T09:00:00+01:00")
        let fixture = try await Fixture.make(backend, timeZone: "Europe/Berlin", start: anchor)
        try await fixture.subscribe(anchor: anchor)
        #expect(try await fixture.resetDue().map(\.cycle.index) == [0])
        let boundaries = [
            Data.date("2028-02-29T09:00:00+01:00"), Data.date("2028-03-31T09:00:00+02:00"),
            Data.date("2028-04-30T09:00:00+02:00"), Data.date("2028-05-31T09:00:00+02:00"),
        ]
        for (index, boundary) in boundaries.dropLast().enumerated() {
            #expect(try await fixture.store.nextCycleResetDue() == boundary)
            fixture.clock.set(boundary.addingTimeInterval(-0.001))
            #expect(try await fixture.resetDue().isEmpty, "nothing is due just before \(boundary)")
            fixture.clock.set(boundary)
            let reports = try await fixture.resetDue()
            #expect(reports.map(\.cycle.index) == [index + 1] && reports.first?.expired == 100)
            let allotment = try #require(try await fixture.summary().allotment)
            #expect(allotment.cycleStart == boundary && allotment.cycleEnd == boundaries[index + 1])
            #expect(allotment.granted == 100 && allotment.left == 100)
        }
        let lots = try await fixture.balance().lots
        #expect(lots.map(\.effectiveAt) == [boundaries[2]] && lots.map(\.expiresAt) == [boundaries[3]])
        try await fixture.expectClean()
    }

    @Test(
        "a boundary on the DST change day keeps the local time (New York, 2:30 skipped on 2026-03-08)",
        arguments: Backend.all)
    func daylightSavingBoundary(backend: Backend) async throws {
        let anchor = Data.date("2026-01-08T02:30:00-05:00")
        let fixture = try await Fixture.make(backend, timeZone: "America/New_York", start: anchor)
        try await fixture.subscribe(anchor: anchor)
        _ = try await fixture.resetDue()
        fixture.clock.set(Data.date("2026-02-08T02:30:00-05:00"))
        #expect(try await fixture.resetDue().map(\.cycle.index) == [1])
        // 02:30 does not exist on 2026-03-08: the cycle starts at the first instant after the gap, 03:00 EDT.
        let springForward = Data.date("2026-03-08T03:00:00-04:00")
        #expect(try await fixture.store.nextCycleResetDue() == springForward)
        fixture.clock.set(springForward.addingTimeInterval(-1))
        #expect(try await fixture.resetDue().isEmpty)
        fixture.clock.set(springForward)
        #expect(try await fixture.resetDue().map(\.cycle.index) == [2])
        let lot = try #require(try await fixture.balance().lots.first)
        #expect(lot.effectiveAt == springForward)
        #expect(lot.expiresAt == Data.date("2026-04-08T02:30:00-04:00"))
        try await fixture.expectClean()
    }

    @Test(
        "down across three boundaries: one reset expires the old allotment and grants only the current cycle",
        arguments: Backend.all)
    func catchUpOnce(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        _ = try await fixture.resetDue()
        try await fixture.spendCredits(30)
        try await fixture.listen()
        fixture.clock.set(cycles.start(ofCycle: 3).addingTimeInterval(5 * 86_400))
        let reports = try await fixture.resetDue()
        #expect(reports.count == 1)
        #expect(reports.first?.cycle.index == 3 && reports.first?.expired == 70 && reports.first?.granted == 100)
        #expect(try await fixture.resetDue().isEmpty)
        let grants = try await fixture.allotmentGrants()
        #expect(grants.map(\.reason).sorted() == ["plan allotment: basic, cycle 0", "plan allotment: basic, cycle 3"])
        let summary = try await fixture.summary()
        #expect(summary.available == 100 && summary.allotment?.cycleIndex == 3 && summary.allotment?.granted == 100)
        #expect(try await fixture.store.subscription(workspaceId: fixture.workspace)?.lastResetCycle == 3)
        #expect(try await fixture.eventTypes() == [.cycleReset])
        try await fixture.expectClean()
    }

    @Test("two schedulers running at once reset each workspace once", arguments: Backend.all)
    func twoSchedulers(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        var workspaces = [fixture]
        for _ in 0..<11 {
            let other = try await fixture.another()
            _ = try await fixture.store.createSubscription(
                NewSubscription(workspaceId: other.workspace, planId: "basic", anchor: cycles.anchor))
            workspaces.append(other)
        }
        for workspace in workspaces { try await workspace.listen() }
        fixture.clock.set(cycles.start(ofCycle: 1))
        let runs = try await withThrowingTaskGroup(of: [CycleResetReport].self) { group in
            for _ in 0..<4 { group.addTask { try await fixture.store.resetDueCycles(limit: 5) } }
            for _ in 0..<4 { group.addTask { try await fixture.store.resetDueCycles(limit: 500) } }
            return try await group.reduce(into: [CycleResetReport]()) { $0 += $1 }
        }
        let resets = runs.filter { $0.outcome == .reset }
        #expect(resets.count == workspaces.count)
        #expect(Set(resets.map(\.workspaceId)).count == workspaces.count)
        for workspace in workspaces {
            let summary = try await workspace.summary()
            #expect(summary.allotment?.cycleIndex == 1 && summary.allotment?.granted == 100)
            #expect(try await workspace.allotmentGrants().count == 1)
            #expect(try await workspace.eventTypes() == [.cycleReset])
        }
        try await fixture.expectClean()
    }

    @Test(
        "a hold taken before a reset and released after it expires with its lot; one captured after it is charged",
        arguments: Backend.all)
    func holdAcrossReset(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        _ = try await fixture.resetDue()
        let old = try #require(try await fixture.balance().lots.first)
        try await fixture.hold("released-after", timeoutSeconds: 86_400)
        try await fixture.hold("captured-after", timeoutSeconds: 86_400)
        fixture.clock.set(cycles.start(ofCycle: 1).addingTimeInterval(-60))
        fixture.clock.advance(seconds: 120)
        #expect(try await fixture.resetDue().first?.expired == 98)
        var summary = try await fixture.summary()
        #expect(summary.available == 100 && summary.held == 2)
        let released = try await fixture.store.release(
            workspaceId: fixture.workspace, attemptId: "released-after", reason: .failed)
        #expect(released.hold.lotId == old.lotId)
        let captured = try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "captured-after")
        #expect(captured.hold.state == .captured && captured.hold.lotId == old.lotId)
        summary = try await fixture.summary()
        #expect(summary.available == 100 && summary.held == 0)
        #expect(summary.allotment?.granted == 100 && summary.allotment?.left == 100)
        let kinds = try await fixture.store.entries(
            EntryQuery(workspaceId: fixture.workspace, attemptId: "released-after")
        )
        .entries.map(\.kind)
        #expect(Set(kinds) == [.hold, .release, .expiry])
        try await fixture.expectClean()
    }

    @Test("purchased credits survive the reset that expires the allotment", arguments: Backend.all)
    func purchasedSurviveReset(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        _ = try await fixture.resetDue()
        try await fixture.grant(50, source: .purchase)
        fixture.clock.set(cycles.start(ofCycle: 1))
        #expect(try await fixture.resetDue().first?.expired == 100)
        let summary = try await fixture.summary()
        #expect(summary.available == 150 && summary.purchasedLeft == 50 && summary.allotment?.left == 100)
        try await fixture.expectClean()
    }

    @Test("spending takes the allotment first, then purchased credits", arguments: Backend.all)
    func allotmentFirst(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(5, source: .purchase)
        _ = try await fixture.store.putPlan(
            Plan(id: "tiny", name: "Tiny", monthlyAllotment: 3, priceMinor: 0, currency: "EUR"))
        _ = try await fixture.store.createSubscription(NewSubscription(workspaceId: fixture.workspace, planId: "tiny"))
        _ = try await fixture.resetDue()
        let sources = try await (0..<5).asyncMap { index in
            let lotId = try await fixture.hold("a\(index)").hold.lotId
            return try await fixture.balance().lots.first { $0.lotId == lotId }?.source
        }
        #expect(sources == [.planAllotment, .planAllotment, .planAllotment, .purchase, .purchase])
        let summary = try await fixture.summary()
        #expect(summary.allotment?.left == 0 && summary.allotment?.held == 3 && summary.purchasedLeft == 3)
    }

    @Test("a plan change waits for the next cycle unless asked for now", arguments: Backend.all)
    func planChangeNextCycle(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        _ = try await fixture.resetDue()
        let changed = try await fixture.store.changePlan(workspaceId: fixture.workspace, to: "pro", timing: .nextCycle)
        #expect(changed.subscription.planId == "basic" && changed.subscription.pendingPlanId == "pro")
        #expect(try await fixture.summary().subscription?.pendingPlanFrom == cycles.start(ofCycle: 1))
        #expect(try await fixture.summary().allotment?.granted == 100)
        fixture.clock.set(cycles.start(ofCycle: 1))
        #expect(try await fixture.resetDue().first?.granted == 500)
        #expect(try await fixture.store.subscription(workspaceId: fixture.workspace)?.planId == "pro")
    }

    @Test(
        "a plan change now tops the cycle's allotment up to the new plan's, never down, and only once",
        arguments: Backend.all)
    func planChangeNow(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.subscribe()
        _ = try await fixture.resetDue()
        try await fixture.spendCredits(40)
        let upgrade = try await fixture.store.changePlan(workspaceId: fixture.workspace, to: "pro", timing: .now)
        #expect(upgrade.subscription.planId == "pro" && upgrade.lot?.amount == 400)
        var allotment = try #require(try await fixture.summary().allotment)
        #expect(allotment.granted == 500 && allotment.used == 40 && allotment.left == 460)
        let downgrade = try await fixture.store.changePlan(workspaceId: fixture.workspace, to: "basic", timing: .now)
        #expect(downgrade.subscription.planId == "basic" && downgrade.lot == nil)
        let again = try await fixture.store.changePlan(workspaceId: fixture.workspace, to: "pro", timing: .now)
        #expect(again.lot == nil)
        allotment = try #require(try await fixture.summary().allotment)
        #expect(allotment.granted == 500 && allotment.left == 460)
        try await fixture.expectClean()
    }

    @Test("past due withholds the new allotment; paid in the same cycle, it is granted", arguments: Backend.all)
    func pastDue(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        _ = try await fixture.resetDue()
        _ = try await fixture.store.setSubscriptionStatus(workspaceId: fixture.workspace, .pastDue)
        #expect(try await fixture.resetDue().map(\.outcome) == [.alreadyReset])
        fixture.clock.set(cycles.start(ofCycle: 1))
        #expect(try await fixture.resetDue().map(\.outcome) == [.withheldPastDue])
        #expect(try await fixture.balance().available == 0)
        fixture.clock.advance(seconds: 3 * 86_400)
        _ = try await fixture.store.setSubscriptionStatus(workspaceId: fixture.workspace, .active)
        let reports = try await fixture.resetDue()
        #expect(reports.map(\.outcome) == [.reset] && reports.first?.granted == 100)
        #expect(try await fixture.balance().lots.first?.effectiveAt == cycles.start(ofCycle: 1))
        try await fixture.expectClean()
    }

    @Test(
        "cancelled: the allotment expires at the next cycle start and nothing more is granted", arguments: Backend.all)
    func cancelled(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        _ = try await fixture.resetDue()
        _ = try await fixture.store.setSubscriptionStatus(workspaceId: fixture.workspace, .cancelled)
        _ = try await fixture.resetDue()
        #expect(try await fixture.balance().available == 100)
        #expect(try await fixture.summary().nextResetAt == nil)
        fixture.clock.set(cycles.start(ofCycle: 1))
        #expect(try await fixture.resetDue().map(\.outcome) == [.cancelled])
        #expect(try await fixture.balance().available == 0)
        #expect(
            await fixture.refusal {
                try await fixture.store.changePlan(workspaceId: fixture.workspace, to: "pro", timing: .now)
            } == .invalidRequest)
    }

    @Test(
        "subscriptions are refused for unknown workspaces and plans, and only one per workspace", arguments: Backend.all
    )
    func subscriptionRefusals(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let store = fixture.store
        _ = try await store.putPlan(Data.basic)
        #expect(
            await fixture.refusal {
                try await store.createSubscription(NewSubscription(workspaceId: "ws_nope", planId: "basic"))
            }
                == .workspaceNotFound)
        #expect(
            await fixture.refusal {
                try await store.createSubscription(NewSubscription(workspaceId: fixture.workspace, planId: "gold"))
            } == .planNotFound)
        #expect(
            await fixture.refusal { try await store.resetCycle(workspaceId: fixture.workspace) }
                == .subscriptionNotFound)
        try await fixture.subscribe()
        #expect(await fixture.refusal { try await fixture.subscribe() } == .subscriptionExists)
        #expect(
            await fixture.refusal {
                try await store.changePlan(workspaceId: fixture.workspace, to: "gold", timing: .now)
            } == .planNotFound)
        let anchor = Data.date("1999-12-31T00:00:00Z")
        let other = try await fixture.another()
        #expect(
            await fixture.refusal {
                try await store.createSubscription(
                    NewSubscription(workspaceId: other.workspace, planId: "basic", startedAt: anchor))
            } == .invalidRequest)
    }

    @Test(
        "plans are created, replaced and listed; a changed allotment applies at the next reset", arguments: Backend.all)
    func plans(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        _ = try await fixture.resetDue()
        var bigger = Data.basic
        bigger.monthlyAllotment = 150
        #expect(try await fixture.store.putPlan(bigger).created == false)
        #expect(try await fixture.store.plans().map(\.id) == ["basic", "pro"])
        #expect(try await fixture.store.plan(id: "basic") == bigger)
        #expect(try await fixture.summary().allotment?.granted == 100)
        fixture.clock.set(cycles.start(ofCycle: 1))
        #expect(try await fixture.resetDue().first?.granted == 150)
        var bad = Data.basic
        bad.currency = "usd"
        #expect(await fixture.refusal { try await fixture.store.putPlan(bad) } == .invalidRequest)
    }
}
