import { describe, expect, it } from 'vitest';
// @ts-expect-error the set-up is plain ESM JavaScript without types
import { newestFirst, suiteStanzas } from '../../../scripts/setup/debian-source.mjs';

const BOOKWORM = `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe('Debian sources of another release', () => {
  it('renames each suite on the same mirrors, drops backports, and reads sources, not binaries', () => {
    expect(suiteStanzas(BOOKWORM, 'trixie')).toEqual([
      'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      'Types: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: trixie-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    ]);
  });

  it('with no system sources, uses Debian\'s own mirrors', () => {
    expect((suiteStanzas(null, 'trixie') as string[]).map((s) => /^Suites: (.*)$/m.exec(s)?.[1])).toEqual(['trixie trixie-updates', 'trixie-security']);
  });

  it('orders versions as dpkg does (a security rebuild after its release, ~ before anything)', async () => {
    expect(await newestFirst(['3.5.7-1~deb13u2', '3.5.9-1~deb13u1', '3.5.7-1~deb13u3', '3.5.7-1~deb13u2', '3.5.7-1'])).toEqual([
      '3.5.9-1~deb13u1', '3.5.7-1', '3.5.7-1~deb13u3', '3.5.7-1~deb13u2',
    ]);
  });
});
