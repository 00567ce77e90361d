/** given(events).when(command).then(events) / .thenThrows(ErrorClass), after emmett's DeciderSpecification. */
import { expect } from 'vitest';

export function decider<S, C, E>(spec: { decide: (c: C, s: S) => E[]; evolve: (s: S, e: E) => S; initial: () => S }) {
  return {
    given: (events: E[]) => ({
      when: (command: C) => {
        const run = () => spec.decide(command, events.reduce(spec.evolve, spec.initial()));
        return {
          // biome-ignore lint/suspicious/noThenProperty: given/when/then is the spec's vocabulary; this object is never awaited
          then: (expected: E[]) => expect(run()).toEqual(expected),
          thenThrows: (errorClass: new (...args: never[]) => Error, message?: RegExp) => {
            expect(run).toThrow(errorClass);
            if (message) expect(run).toThrow(message);
          },
        };
      },
    }),
  };
}
