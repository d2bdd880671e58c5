import { describe, expect, it } from 'vitest';
import { matchPath } from '../router';

describe('matchPath', () => {
  it('matches static and parameter segments', () => {
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/launch', '/launch/')).toEqual({});
    expect(matchPath('/experiments/:id', '/experiments/42')).toEqual({ id: '42' });
    expect(matchPath('/experiments/:id', '/experiments/a%20b')).toEqual({ id: 'a b' });
    expect(matchPath('/experiments/:id', '/experiments')).toBeNull();
    expect(matchPath('/experiments/:id', '/runs/42')).toBeNull();
  });
});
