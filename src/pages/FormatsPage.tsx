// Placeholder until the formats core lands (issue 2): replaced by the formats table and value probe.
export function FormatsPage() {
  return <p>Number formats</p>;
}
