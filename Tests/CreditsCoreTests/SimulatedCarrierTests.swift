import CreditsCore
import Foundation
import Testing

/// The simulated carrier: deterministic with its seed, outcomes by position, told as Twilio callbacks.
@Suite("Simulated carrier")
struct SimulatedCarrierTests {
    func number(_ index: Int) -> String { "+1415555" + String(format: "%04d", index) }

    /// The attempt status the carrier's last callback leads to.
    func status(_ carrier: SimulatedCarrier, _ number: String, _ position: Int) -> AttemptStatus? {
        carrier.script(number: number, position: position).last.flatMap { TwilioMapping.finalStatus(for: $0.callback) }
    }

    @Test("the same seed gives the same calls; another seed other calls")
    func deterministic() {
        let first = SimulatedCarrier(seed: 7)
        let again = SimulatedCarrier(seed: 7)
        let other = SimulatedCarrier(seed: 8)
        let numbers = (0..<200).map(number)
        let scripts = numbers.map { first.script(number: $0, position: 0) }
        #expect(scripts == numbers.map { again.script(number: $0, position: 0) })
        #expect(scripts != numbers.map { other.script(number: $0, position: 0) })
    }

    @Test("outcomes follow the odds at each position")
    func followsOdds() {
        let always = OutcomeOdds(person: 1, voicemail: 0, machine: 0, busy: 0, noAnswer: 0, failed: 0)
        let never = OutcomeOdds(person: 0, voicemail: 0, machine: 0, busy: 0, noAnswer: 0, failed: 1)
        let carrier = SimulatedCarrier(seed: 1, profile: CarrierProfile(byPosition: [always, never]))
        #expect(status(carrier, number(1), 0) == .answered)
        #expect(status(carrier, number(1), 1) == .failed)
        #expect(status(carrier, number(1), 5) == .failed, "positions beyond the list use the last odds")
        let standard = SimulatedCarrier(seed: 3)
        let answered = (0..<4_000).filter { status(standard, number($0), 0) == .answered }.count
        #expect((1_000...1_400).contains(answered), "about 30% of first numbers answered, got \(answered)")
    }

    @Test("every outcome ends with the callback that maps to its status and cost row")
    func callbacksMapToRows() {
        let expected: [SimulatedOutcome: CallOutcome] = [
            .voicemail: .missedVoicemailLeft, .machine: .missedNoVoicemail,
        ]
        for (outcome, row) in expected {
            let carrier = SimulatedCarrier(seed: 1, scripted: [number(1): outcome])
            let last = carrier.script(number: number(1), position: 0).last!.callback
            #expect(TwilioMapping.event(for: last) == .completed(row))
        }
        for outcome in [SimulatedOutcome.busy, .noAnswer, .failed] {
            let carrier = SimulatedCarrier(seed: 1, scripted: [number(1): outcome])
            #expect(status(carrier, number(1), 0) == .failed)
        }
        let person = SimulatedCarrier(seed: 1, scripted: [number(1): .person])
        #expect(status(person, number(1), 0) == .answered)
    }

    @Test("with every callback, a connected call reports in-progress before completed, in time order")
    func connectedMomentComesFirst() {
        let carrier = SimulatedCarrier(seed: 1, scripted: [number(1): .voicemail])
        let script = carrier.script(number: number(1), position: 0)
        #expect(script.map(\.callback.callStatus) == [.ringing, .inProgress, .completed])
        #expect(script.map(\.atSeconds) == script.map(\.atSeconds).sorted())
        var finalOnly = CarrierProfile.standard
        finalOnly.callbacks = .finalOnly
        let short = SimulatedCarrier(seed: 1, profile: finalOnly, scripted: [number(1): .voicemail])
        #expect(short.script(number: number(1), position: 0).map(\.callback.callStatus) == [.completed])
    }
}
