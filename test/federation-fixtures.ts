/** Federation members whose keys a test holds: the helper lives in src/demo (the federation demo plants a split view with one). */
export { signedPost, testMember } from '../src/demo/federation-member.ts';
