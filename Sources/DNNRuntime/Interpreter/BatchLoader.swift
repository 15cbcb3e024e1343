// A streamed training set's batches (`stream: true`), decoded by a loader thread ahead of the batch
// that trains: the epoch's order is known when it starts, so the thread decodes batch after batch into a
// ring of `prefetch` slots and waits while all are full. Memory is the slots, whatever the set's size;
// the bytes are the in-memory path's (the same decoder, the same order). The training thread copies
// a slot into the network's input and frees it.

import Foundation
import Dispatch
import DNNSyntax
import DNNModel

final class BatchLoader: @unchecked Sendable {
    let stream: any SampleStream
    let batchSize: Int
    /// `prefetch` slots of a batch each, and each slot's error (a file that failed).
    private let slots: [UnsafeMutableBufferPointer<Float>]
    private let errors: UnsafeMutableBufferPointer<DataFileError?>
    // One epoch's state, made by begin(): the producer waits on `free`, the consumer on `filled`.
    private var free = DispatchSemaphore(value: 0), filled = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
    private var cancelled = false
    private var consumed = 0
    private var running = false
    /// Nanoseconds the training thread has waited for a batch in `next`, over every epoch
    /// (`DNNC_TIMING` prints it: the time the loader held the steps back).
    private(set) var waited: UInt64 = 0

    init(stream: any SampleStream, batchSize: Int) {
        self.stream = stream
        self.batchSize = batchSize
        slots = (0 ..< max(stream.prefetch, 1)).map { _ in
            let slot = UnsafeMutableBufferPointer<Float>.allocate(capacity: batchSize * stream.sampleSize)
            slot.initialize(repeating: 0)
            return slot
        }
        errors = .allocate(capacity: slots.count)
        errors.initialize(repeating: nil)
    }

    deinit {
        end()
        for slot in slots { slot.deallocate() }
        errors.deinitialize()
        errors.deallocate()
    }

    /// Starts decoding an epoch's batches: rows order[0 ..< batchSize], then the next batch, and so on.
    func begin(order: [Int]) {
        end()
        // Made at 0 and signalled: libdispatch traps when a semaphore is freed below its initial value.
        free = DispatchSemaphore(value: 0)
        for _ in slots { free.signal() }
        filled = DispatchSemaphore(value: 0)
        finished = DispatchSemaphore(value: 0)
        cancelled = false
        consumed = 0
        running = true
        let (free, filled, finished) = (self.free, self.filled, self.finished)
        let thread = Thread { [self] in
            var b = 0
            func batch(_ start: Int) -> ArraySlice<Int> { order[min(start, order.count) ..< min(start + batchSize, order.count)] }
            stream.willRead(batch(0))
            for start in stride(from: 0, to: order.count, by: batchSize) {
                free.wait()
                if cancelled { break }
                // The next batch's reads start while this one's are waited for.
                stream.willRead(batch(start + batchSize))
                let slot = b % slots.count
                do throws(DataFileError) { try stream.decode(batch(start), into: slots[slot].baseAddress!) } catch {
                    errors[slot] = error
                }
                b += 1
                filled.signal()
            }
            finished.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Copies the next batch of `rows` samples into `x`; the error of a file it could not read.
    func next(rows: Int, into x: UnsafeMutablePointer<Float>) throws(DataFileError) {
        let asked = DispatchTime.now().uptimeNanoseconds
        filled.wait()
        waited += DispatchTime.now().uptimeNanoseconds - asked
        let slot = consumed % slots.count
        consumed += 1
        defer { free.signal() }
        if let error = errors[slot] {
            errors[slot] = nil
            throw error
        }
        x.update(from: slots[slot].baseAddress!, count: rows * stream.sampleSize)
    }

    /// Stops the epoch's thread (at the end of an epoch, or when training stops inside one) and waits
    /// for it: no slot is written after this returns.
    func end() {
        guard running else { return }
        cancelled = true
        free.signal()  // a producer waiting for a slot wakes and sees `cancelled`
        finished.wait()
        running = false
        for k in 0 ..< slots.count { errors[k] = nil }
    }
}
