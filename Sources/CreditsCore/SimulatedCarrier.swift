/// How a simulated call ends, before it is told as the provider's callbacks.
public enum SimulatedOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// A person answers (a conversation, or a hang-up within seconds).
    case person
    /// Voicemail picks up and a message is left (Missed, voicemail left).
    case voicemail
    /// A machine picks up and no message is left (Missed, no voicemail).
    case machine
    /// The line is busy (Failed).
    case busy
    /// Nobody picks up before the ring timeout (Failed).
    case noAnswer = "no_answer"
    /// The carrier cannot place the call (Failed).
    case failed
}

/// The chance of each outcome at one dialing position, as weights (they need not sum to 1).
public struct OutcomeOdds: Hashable, Sendable, Codable {
    public var weights: [SimulatedOutcome: Double]

    public init(person: Double, voicemail: Double, machine: Double, busy: Double, noAnswer: Double, failed: Double) {
        weights = [
            .person: person, .voicemail: voicemail, .machine: machine, .busy: busy, .noAnswer: noAnswer,
            .failed: failed,
        ]
        precondition(weights.values.allSatisfy { $0 >= 0 } && weights.values.reduce(0, +) > 0, "positive weights")
    }

    /// The outcome a uniform draw `unit` in [0, 1) falls on.
    func pick(_ unit: Double) -> SimulatedOutcome {
        let total = weights.values.reduce(0, +)
        var threshold = unit * total
        for outcome in SimulatedOutcome.allCases {
            let weight = weights[outcome] ?? 0
            if threshold < weight { return outcome }
            threshold -= weight
        }
        return SimulatedOutcome.allCases.last { (weights[$0] ?? 0) > 0 } ?? .failed
    }
}

/// Which status callbacks the simulated carrier sends, as a provider is told which ones to send.
public enum CarrierCallbacks: String, Hashable, Sendable, Codable {
    /// ringing, in-progress (the connected moment, which charges) and the final status.
    case every
    /// Only the final status (completed, busy, no-answer, failed); a connected call is charged then.
    case finalOnly = "final_only"
}

/// The simulated carrier's behaviour: outcome odds by number position, ring and talk durations.
public struct CarrierProfile: Hashable, Sendable, Codable {
    /// Odds at positions 1, 2, …; positions beyond the list use its last entry.
    public var byPosition: [OutcomeOdds]
    /// Seconds a call rings before it is picked up (or given up, for no-answer).
    public var ringSeconds: ClosedRange<Int>
    /// Seconds a person talks; `hungUpImmediatelyShare` of answers hang up within 1–5 s instead.
    public var talkSeconds: ClosedRange<Int>
    public var hungUpImmediatelyShare: Double
    /// Seconds a voicemail greeting and message take.
    public var voicemailSeconds: ClosedRange<Int>
    public var callbacks: CarrierCallbacks

    public init(
        byPosition: [OutcomeOdds], ringSeconds: ClosedRange<Int> = 5...30, talkSeconds: ClosedRange<Int> = 20...240,
        hungUpImmediatelyShare: Double = 0.15, voicemailSeconds: ClosedRange<Int> = 20...45,
        callbacks: CarrierCallbacks = .every
    ) {
        precondition(!byPosition.isEmpty && ringSeconds.lowerBound >= 1 && talkSeconds.lowerBound > 5)
        self.byPosition = byPosition
        self.ringSeconds = ringSeconds
        self.talkSeconds = talkSeconds
        self.hungUpImmediatelyShare = hungUpImmediatelyShare
        self.voicemailSeconds = voicemailSeconds
        self.callbacks = callbacks
    }

    /// A plausible outbound list: a person answers 30% of first numbers and fewer of the fallbacks
    /// (numbers further down a contact's list are older or less used).
    public static let standard = CarrierProfile(byPosition: [
        OutcomeOdds(person: 0.30, voicemail: 0.25, machine: 0.15, busy: 0.10, noAnswer: 0.15, failed: 0.05),
        OutcomeOdds(person: 0.25, voicemail: 0.25, machine: 0.15, busy: 0.10, noAnswer: 0.18, failed: 0.07),
        OutcomeOdds(person: 0.20, voicemail: 0.25, machine: 0.15, busy: 0.10, noAnswer: 0.20, failed: 0.10),
    ])
}

/// One status callback the carrier sends `atSeconds` after the call was placed.
public struct CarrierCallback: Hashable, Sendable {
    public var atSeconds: Int
    public var callback: TwilioStatusCallback
}

/// A deterministic simulated carrier: the same seed, number and position always give the same call, so a run
/// can be repeated exactly. It only decides; a telephony shell delivers the callbacks through the same event
/// path a real provider's callbacks take (`TwilioMapping.event(for:)`, then the attempt rules).
public struct SimulatedCarrier: Hashable, Sendable {
    public var seed: UInt64
    public var profile: CarrierProfile
    /// Fixed outcomes for chosen E.164 numbers (tests: "the first two go to voicemail, the third answers").
    public var scripted: [String: SimulatedOutcome]

    public init(seed: UInt64, profile: CarrierProfile = .standard, scripted: [String: SimulatedOutcome] = [:]) {
        self.seed = seed
        self.profile = profile
        self.scripted = scripted
    }

    /// The callbacks for a call to `number` at dialing `position` (0-based), in time order.
    public func script(number: String, position: Int) -> [CarrierCallback] {
        var random = SplitMix64(seed: seed ^ Self.fnv1a(number) ^ (UInt64(truncatingIfNeeded: position) &* 0x9E37))
        let odds = profile.byPosition[min(max(position, 0), profile.byPosition.count - 1)]
        let drawn = odds.pick(Self.unit(&random))
        let outcome = scripted[number] ?? drawn
        let ring = Int.random(in: profile.ringSeconds, using: &random)
        var calls: [CarrierCallback] = []
        if profile.callbacks == .every {
            calls.append(CarrierCallback(atSeconds: 0, callback: .init(callStatus: .ringing)))
        }
        func connected(_ by: TwilioAnsweredBy, seconds: Int) {
            if profile.callbacks == .every {
                calls.append(CarrierCallback(atSeconds: ring, callback: .init(callStatus: .inProgress, answeredBy: by)))
            }
            calls.append(
                CarrierCallback(
                    atSeconds: ring + seconds,
                    callback: .init(callStatus: .completed, answeredBy: by, callDurationSeconds: seconds)))
        }
        switch outcome {
        case .person:
            let hungUp = Self.unit(&random) < profile.hungUpImmediatelyShare
            connected(.human, seconds: hungUp ? Int.random(in: 1...5, using: &random) : talk(&random))
        case .voicemail:
            connected(.machineEndBeep, seconds: Int.random(in: profile.voicemailSeconds, using: &random))
        case .machine:
            connected(.machineStart, seconds: Int.random(in: 2...8, using: &random))
        case .busy:
            calls.append(CarrierCallback(atSeconds: min(ring, 3), callback: ended(.busy)))
        case .noAnswer:
            calls.append(CarrierCallback(atSeconds: profile.ringSeconds.upperBound, callback: ended(.noAnswer)))
        case .failed:
            calls.append(CarrierCallback(atSeconds: 1, callback: ended(.failed)))
        }
        return calls
    }

    /// The callback a hang-up asked by the platform (campaign cancelled) produces for a call not yet
    /// connected; a connected call is left to end by itself (its credit is spent).
    public static let cancelledCallback = TwilioStatusCallback(callStatus: .canceled, callDurationSeconds: 0)

    private func talk(_ random: inout SplitMix64) -> Int { Int.random(in: profile.talkSeconds, using: &random) }

    private func ended(_ status: TwilioCallStatus) -> TwilioStatusCallback {
        TwilioStatusCallback(callStatus: status, callDurationSeconds: 0)
    }

    /// A uniform draw in [0, 1) from 53 random bits.
    private static func unit(_ random: inout SplitMix64) -> Double {
        Double(random.next() >> 11) / Double(UInt64(1) << 53)
    }

    /// FNV-1a over the text's bytes: a hash that is the same in every process (Swift's `Hasher` is not).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
