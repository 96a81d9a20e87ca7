/** Admin: open a buyer's profile by name (/admin/users), and the profile itself (/admin/users/:username). */
import { useState, type FormEvent } from 'react';
import { Route, Routes, useNavigate, useParams } from 'react-router';
import { Button, Card, PageTitle, TextField } from '../../components/ui';
import { UserProfile } from '../profile.page';

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

function FindUser() {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const u = name.trim().toLowerCase();
    if (!USERNAME.test(u)) return setError('3 to 32 characters: a to z, 0 to 9, dot, dash or underscore.');
    navigate(`/admin/users/${encodeURIComponent(u)}`);
  };
  return (
    <div>
      <PageTitle sub="A buyer's account, purchases and favourites, as they see them. Buyers' names link here from the sales lists.">
        Users
      </PageTitle>
      <Card className="max-w-xl">
        <form onSubmit={submit} noValidate className="flex flex-wrap items-end gap-3">
          <TextField
            className="min-w-0 flex-1"
            label="Username"
            value={name}
            autoComplete="off"
            onChange={(e) => {
              setName(e.target.value);
              setError(undefined);
            }}
            error={error}
          />
          <Button type="submit">Open profile</Button>
        </form>
      </Card>
    </div>
  );
}

function Profile() {
  const { username } = useParams();
  return <UserProfile key={username} username={username!} />;
}

export default function UsersPage() {
  return (
    <Routes>
      <Route index element={<FindUser />} />
      <Route path=":username" element={<Profile />} />
    </Routes>
  );
}
