import CreditsCore
import Foundation
import Testing

@Suite("Calendar days")
struct CalendarDayTests {
    /// The arithmetic validation (from 1600 on) accepts exactly the dates Foundation's Gregorian calendar has.
    @Test("valid days agree with Foundation's calendar, leap years included")
    func validDaysAgreeWithCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for year in [1600, 1700, 1900, 1999, 2000, 2024, 2025, 2026, 2028, 2100, 2400, 9999] {
            for month in 1...12 {
                for day in 1...31 {
                    let date = calendar.date(from: DateComponents(year: year, month: month, day: day))!
                    let exists =
                        calendar.dateComponents([.year, .month, .day], from: date)
                        == DateComponents(year: year, month: month, day: day)
                    #expect(
                        (CalendarDay(year: year, month: month, day: day) != nil) == exists, "\(year)-\(month)-\(day)")
                }
            }
        }
    }

    @Test("stored numbers read back, impossible ones do not")
    func numbers() {
        #expect(CalendarDay(number: 20_280_229)?.description == "2028-02-29")
        #expect(CalendarDay(number: 20_260_229) == nil)
        #expect(CalendarDay(number: 21_000_229) == nil)
        #expect(CalendarDay(number: 20_000_229) != nil)
        #expect(CalendarDay(number: 20_261_131) == nil)
        #expect(CalendarDay(number: 20_261_301) == nil)
    }
}
