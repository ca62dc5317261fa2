/// Twilio's `CallStatus` values in status callbacks.
public enum TwilioCallStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case queued
    case initiated
    case ringing
    case inProgress = "in-progress"
    case completed
    case busy
    case noAnswer = "no-answer"
    case canceled
    case failed
}

/// Twilio's `AnsweredBy` values (answering-machine detection).
public enum TwilioAnsweredBy: String, Hashable, Sendable, Codable, CaseIterable {
    case human
    case machineStart = "machine_start"
    case machineEndBeep = "machine_end_beep"
    case machineEndSilence = "machine_end_silence"
    case machineEndOther = "machine_end_other"
    case fax
    case unknown

    /// Who picked up, as the attempt rules see it.
    public var party: ConnectedParty {
        switch self {
        case .human: .person
        case .machineStart, .machineEndBeep, .machineEndSilence, .machineEndOther, .fax: .machine
        case .unknown: .unknown
        }
    }
}

/// One Twilio status callback, read from its form fields.
public struct TwilioStatusCallback: Hashable, Sendable, Codable {
    public var callStatus: TwilioCallStatus
    /// nil when answering-machine detection was off (Twilio then sends no `AnsweredBy`).
    public var answeredBy: TwilioAnsweredBy?
    /// Seconds the call lasted (`CallDuration`), sent with final statuses.
    public var callDurationSeconds: Int?

    public init(callStatus: TwilioCallStatus, answeredBy: TwilioAnsweredBy? = nil, callDurationSeconds: Int? = nil) {
        self.callStatus = callStatus
        self.answeredBy = answeredBy
        self.callDurationSeconds = callDurationSeconds
    }

    /// Reads `CallStatus`, `AnsweredBy` and `CallDuration` from the callback's form fields.
    /// An unknown `CallStatus` is refused (nothing safe can be guessed); an `AnsweredBy` value Twilio adds
    /// later reads as `unknown`, which bills the same as every connected value.
    public init(form: [String: String]) throws(CallRefusal) {
        guard let rawStatus = form["CallStatus"] else {
            throw CallRefusal(.invalidCallback, "CallStatus is missing")
        }
        guard let status = TwilioCallStatus(rawValue: rawStatus.lowercased()) else {
            throw CallRefusal(.invalidCallback, "CallStatus \(rawStatus) is not one Twilio sends")
        }
        var answeredBy: TwilioAnsweredBy?
        if let raw = form["AnsweredBy"], !raw.isEmpty {
            answeredBy = TwilioAnsweredBy(rawValue: raw.lowercased()) ?? .unknown
        }
        var duration: Int?
        if let raw = form["CallDuration"], !raw.isEmpty {
            guard let seconds = Int(raw), seconds >= 0 else {
                throw CallRefusal(.invalidCallback, "CallDuration must be a whole number of seconds")
            }
            duration = seconds
        }
        self.init(callStatus: status, answeredBy: answeredBy, callDurationSeconds: duration)
    }
}

/// How Twilio's status callbacks map to attempt events (PRODUCT.md, "Call outcomes and what they cost").
public enum TwilioMapping {
    /// A conversation this short (seconds, inclusive) counts as "contact hung up immediately".
    /// Both Answered rows cost one credit; the threshold only sorts the usage breakdown.
    public static let hungUpImmediatelySecondsMax = 5

    /// The attempt event a callback means.
    /// - queued, initiated, ringing: dialing started (a repeat of the hold the runner took; no charge).
    /// - in-progress: connected (charges the credit), the party from `AnsweredBy`.
    /// - completed + human: Answered; short calls are "hung up immediately".
    /// - completed + machine_*: Missed. machine_end_beep/silence/other waited for the greeting to end,
    ///   the moment a message is left, so they read as "voicemail left"; machine_start gave up at the
    ///   greeting's start, so "no voicemail".
    /// - completed + fax: Missed, no voicemail (a machine picked up: connected, charged).
    /// - completed + unknown or no AnsweredBy: Answered. Twilio reports `completed` only for a call that
    ///   was picked up, so it is charged either way; without a machine verdict the platform treats it as
    ///   a person, which stops the fallback numbers rather than ringing the contact again.
    /// - busy, no-answer, failed: Failed (refunded). canceled: Cancelled (refunded).
    public static func event(for callback: TwilioStatusCallback) -> AttemptEvent {
        switch callback.callStatus {
        case .queued, .initiated, .ringing:
            return .dialingStarted
        case .inProgress:
            return .connected(callback.answeredBy?.party ?? .unknown)
        case .completed:
            return .completed(completedOutcome(callback))
        case .busy, .noAnswer, .failed:
            return .failed
        case .canceled:
            return .cancelled
        }
    }

    /// The user-visible status a callback leads to, if it is a final one.
    public static func finalStatus(for callback: TwilioStatusCallback) -> AttemptStatus? {
        switch event(for: callback) {
        case .completed(let outcome): outcome.status
        case .failed: .failed
        case .cancelled: .cancelled
        default: nil
        }
    }

    private static func completedOutcome(_ callback: TwilioStatusCallback) -> CallOutcome {
        switch callback.answeredBy {
        case .machineEndBeep, .machineEndSilence, .machineEndOther:
            return .missedVoicemailLeft
        case .machineStart, .fax:
            return .missedNoVoicemail
        case .human, .unknown, nil:
            if let seconds = callback.callDurationSeconds, seconds <= hungUpImmediatelySecondsMax {
                return .answeredHungUpImmediately
            }
            return .answeredFullConversation
        }
    }
}
