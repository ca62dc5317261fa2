import CreditsCore
import Testing

/// Twilio status callbacks as PRODUCT.md maps them.
@Suite("Twilio mapping")
struct TwilioMappingTests {
    func event(_ status: TwilioCallStatus, _ answeredBy: TwilioAnsweredBy? = nil, seconds: Int? = nil) -> AttemptEvent {
        TwilioMapping.event(
            for: TwilioStatusCallback(callStatus: status, answeredBy: answeredBy, callDurationSeconds: seconds))
    }

    @Test("queued, initiated and ringing mean dialing started, not connected")
    func dialingStatuses() {
        for status in [TwilioCallStatus.queued, .initiated, .ringing] {
            #expect(event(status) == .dialingStarted)
        }
    }

    @Test("in-progress means connected, with the party from AnsweredBy")
    func inProgressConnected() {
        #expect(event(.inProgress, .human) == .connected(.person))
        #expect(event(.inProgress, .machineStart) == .connected(.machine))
        #expect(event(.inProgress) == .connected(.unknown))
    }

    @Test("completed with a human is Answered; a short call is hung up immediately")
    func completedHuman() {
        #expect(event(.completed, .human, seconds: 95) == .completed(.answeredFullConversation))
        #expect(event(.completed, .human, seconds: 3) == .completed(.answeredHungUpImmediately))
    }

    @Test("completed with every machine_* value is Missed")
    func completedMachine() {
        for answeredBy in [TwilioAnsweredBy.machineStart, .machineEndBeep, .machineEndSilence, .machineEndOther] {
            let callback = TwilioStatusCallback(callStatus: .completed, answeredBy: answeredBy, callDurationSeconds: 30)
            #expect(TwilioMapping.finalStatus(for: callback) == .missed)
        }
        #expect(event(.completed, .machineEndBeep) == .completed(.missedVoicemailLeft))
        #expect(event(.completed, .machineStart) == .completed(.missedNoVoicemail))
    }

    @Test("completed with a fax is Missed, no voicemail (connected, charged)")
    func completedFax() {
        #expect(event(.completed, .fax) == .completed(.missedNoVoicemail))
    }

    @Test("completed with AnsweredBy unknown or missing is Answered (picked up, charged)")
    func completedUnknown() {
        #expect(event(.completed, .unknown, seconds: 40) == .completed(.answeredFullConversation))
        #expect(event(.completed, seconds: 40) == .completed(.answeredFullConversation))
    }

    @Test("busy, no-answer and failed are Failed")
    func failedStatuses() {
        for status in [TwilioCallStatus.busy, .noAnswer, .failed] {
            #expect(event(status) == .failed)
            #expect(TwilioMapping.finalStatus(for: TwilioStatusCallback(callStatus: status)) == .failed)
        }
    }

    @Test("canceled is Cancelled")
    func canceledStatus() {
        #expect(event(.canceled) == .cancelled)
    }

    @Test("every CallStatus maps to an event")
    func everyStatusMapped() {
        let finals = TwilioCallStatus.allCases.map {
            TwilioMapping.finalStatus(for: TwilioStatusCallback(callStatus: $0))
        }
        #expect(finals == [nil, nil, nil, nil, .answered, .failed, .failed, .cancelled, .failed])
    }

    @Test("a callback's form fields are read: CallStatus, AnsweredBy, CallDuration")
    func formRead() throws {
        let callback = try TwilioStatusCallback(form: [
            "CallStatus": "completed", "AnsweredBy": "machine_end_beep", "CallDuration": "21", "CallSid": "CA1",
        ])
        #expect(
            callback
                == TwilioStatusCallback(callStatus: .completed, answeredBy: .machineEndBeep, callDurationSeconds: 21))
    }

    @Test("a callback without a known CallStatus is refused with invalid_callback")
    func unknownStatusRefused() {
        for form in [
            ["CallStatus": "exploded"], ["AnsweredBy": "human"], ["CallStatus": "completed", "CallDuration": "x"],
        ] {
            #expect(throws: CallRefusal(.invalidCallback, message(form))) { try TwilioStatusCallback(form: form) }
        }
    }

    private func message(_ form: [String: String]) -> String {
        if form["CallStatus"] == nil { return "CallStatus is missing" }
        if form["CallDuration"] != nil { return "CallDuration must be a whole number of seconds" }
        return "CallStatus \(form["CallStatus"]!) is not one Twilio sends"
    }

    @Test("a late in-progress after completed changes nothing")
    func lateInProgress() throws {
        var state = try AttemptRules.apply(.dialingStarted, to: .waiting).state
        state = try AttemptRules.apply(event(.completed, .human, seconds: 60), to: state).state
        let late = try AttemptRules.apply(event(.inProgress, .human), to: state)
        #expect(late.action == .none && late.state == state)
    }
}
